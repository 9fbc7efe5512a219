// swift-tools-version:6.2
import PackageDescription

// The benchmark harnesses, a package of their own so that building or testing the relay never compiles them.
// `benchmarks/run` builds them (and engage-relay, through this package's dependency on the relay) in release.

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "engage-relay-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "relay-bench", targets: ["relay-bench"]),
        .executable(name: "relay-baseline", targets: ["relay-baseline"]),
        .executable(name: "relay-load", targets: ["relay-load"]),
    ],
    dependencies: [
        .package(name: "engage-relay", path: ".."),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "relay-bench",
            dependencies: [
                .product(name: "EngageEvents", package: "engage-relay"),
                .product(name: "RelayConfig", package: "engage-relay"),
                .product(name: "RelayCore", package: "engage-relay"),
                .product(name: "RelayPlanning", package: "engage-relay"),
                .product(name: "WebhookVerification", package: "engage-relay"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "relay-baseline",
            dependencies: [
                .product(name: "EngageEvents", package: "engage-relay"),
                .product(name: "EngageRelay", package: "engage-relay"),
                .product(name: "RelayServer", package: "engage-relay"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "relay-load",
            dependencies: [
                .product(name: "WebhookVerification", package: "engage-relay"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
