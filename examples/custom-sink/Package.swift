// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ledger-relay",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "EngageLedger", targets: ["EngageLedger"]),
        .executable(name: "ledger-relay", targets: ["ledger-relay"]),
    ],
    dependencies: [
        // The relay itself, from this repository; elsewhere, its git URL and a version.
        .package(name: "engage-relay", path: "../.."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "EngageLedger",
            dependencies: [
                .product(name: "RelayCore", package: "engage-relay"),
                .product(name: "EngageEvents", package: "engage-relay"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ledger-relay",
            dependencies: ["EngageLedger", .product(name: "EngageRelay", package: "engage-relay")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EngageLedgerTests",
            dependencies: [
                "EngageLedger",
                .product(name: "RelayTesting", package: "engage-relay"),
                .product(name: "RelayConfig", package: "engage-relay"),
                .product(name: "RelayCore", package: "engage-relay"),
                .product(name: "RelayPlanning", package: "engage-relay"),
                .product(name: "EngageEvents", package: "engage-relay"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
    ]
)
