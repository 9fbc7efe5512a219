// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "engage-relay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "engage-relay", targets: ["engage-relay"]),
        .library(name: "EngageRelay", targets: ["EngageRelay"]),
        .library(name: "EngageEvents", targets: ["EngageEvents"]),
        .library(name: "WebhookVerification", targets: ["WebhookVerification"]),
        .library(name: "RelayConfig", targets: ["RelayConfig"]),
        .library(name: "RelayCore", targets: ["RelayCore"]),
        .library(name: "RelayPlanning", targets: ["RelayPlanning"]),
        .library(name: "RelayServer", targets: ["RelayServer"]),
        .library(name: "RelayTesting", targets: ["RelayTesting"]),
        .plugin(name: "CheckRelayConfig", targets: ["CheckRelayConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(name: "EngageEvents", swiftSettings: strict),
        .target(
            name: "WebhookVerification",
            dependencies: [
                "EngageEvents", "RelayConfig",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(name: "RelayConfig", swiftSettings: strict),
        .target(
            name: "RelayCore",
            dependencies: [
                "EngageEvents", "RelayConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RelayPlanning",
            dependencies: ["RelayCore", "RelayConfig", "EngageEvents", "WebhookVerification"],
            swiftSettings: strict
        ),
        .target(
            name: "RelaySpoolSQLite",
            dependencies: [
                "RelayCore", "EngageEvents",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RelaySpoolPostgres",
            dependencies: [
                "RelayCore", "EngageEvents",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RelayFileSink",
            dependencies: ["RelayCore", "RelayConfig", "EngageEvents"],
            path: "Sources/Sinks/File",
            swiftSettings: strict
        ),
        .target(
            name: "RelayHTTPSink",
            dependencies: [
                "RelayCore", "RelayConfig", "EngageEvents",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Sinks/HTTP",
            swiftSettings: strict
        ),
        .target(
            name: "RelayExecSink",
            dependencies: [
                "RelayCore", "RelayConfig", "EngageEvents",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Sinks/Exec",
            swiftSettings: strict
        ),
        .target(
            name: "RelaySQLiteSink",
            dependencies: ["RelayCore", "EngageEvents", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Sources/Sinks/SQLite",
            swiftSettings: strict
        ),
        .target(
            name: "RelayPostgresSink",
            dependencies: [
                "RelayCore", "EngageEvents", "RelaySpoolPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Sinks/Postgres",
            swiftSettings: strict
        ),
        .target(
            name: "RelaySyslogSink",
            dependencies: [
                "RelayCore", "RelayConfig", "EngageEvents",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Sinks/Syslog",
            swiftSettings: strict
        ),
        .target(
            name: "RelayServer",
            dependencies: [
                "RelayCore", "RelayPlanning", "WebhookVerification",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EngageRelay",
            dependencies: [
                "EngageEvents", "WebhookVerification", "RelayConfig", "RelayCore", "RelayPlanning", "RelayFileSink",
                "RelayServer",
                "RelaySpoolSQLite", "RelaySpoolPostgres", "RelaySQLiteSink", "RelayPostgresSink", "RelaySyslogSink",
                "RelayHTTPSink", "RelayExecSink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "engage-relay", dependencies: ["EngageRelay"], swiftSettings: strict),
        .plugin(
            name: "CheckRelayConfig",
            capability: .command(
                intent: .custom(
                    verb: "check-relay-config",
                    description: "Validate engage-relay configs like `engage-relay check`; fails on any error")),
            path: "Plugins/CheckRelayConfig"
        ),
        .target(
            name: "RelayTesting",
            dependencies: [
                "RelayCore", "WebhookVerification",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            resources: [.copy("Scripts")],
            swiftSettings: strict
        ),

        .testTarget(name: "EngageEventsTests", dependencies: ["EngageEvents"], swiftSettings: strict),
        .testTarget(
            name: "WebhookVerificationTests",
            dependencies: ["WebhookVerification", "EngageEvents"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "RelayConfigTests", dependencies: ["RelayConfig"], swiftSettings: strict),
        .testTarget(
            name: "RelayCoreTests",
            dependencies: [
                "RelayCore", "RelayTesting", "RelaySpoolSQLite", "EngageEvents",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelayPlanningTests",
            dependencies: ["RelayPlanning", "RelayCore", "RelayTesting", "WebhookVerification"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelayTestingTests",
            dependencies: [
                "RelayTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelaySpoolSQLiteTests",
            dependencies: [
                "RelaySpoolSQLite", "RelayCore", "RelayTesting", "EngageEvents",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelaySpoolPostgresTests",
            dependencies: [
                "RelaySpoolPostgres", "RelayCore", "RelayTesting", "EngageEvents",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelayPostgresSinkTests",
            dependencies: [
                "RelayPostgresSink", "RelayTesting", "RelayCore", "RelayConfig", "EngageEvents",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelayHTTPSinkTests",
            dependencies: ["RelayHTTPSink", "RelayTesting", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelayExecSinkTests",
            dependencies: ["RelayExecSink", "RelayTesting", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelaySQLiteSinkTests",
            dependencies: [
                "RelaySQLiteSink", "RelayTesting", "RelayCore", "EngageEvents",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelaySyslogSinkTests",
            dependencies: [
                "RelaySyslogSink", "RelayTesting", "RelayCore", "EngageEvents",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RelayFileSinkTests",
            dependencies: ["RelayFileSink", "RelayTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EngageRelayTests",
            dependencies: [
                "EngageRelay", "RelayTesting", "RelaySpoolSQLite", "RelayServer", "RelayPlanning", "RelayCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
    ]
)
