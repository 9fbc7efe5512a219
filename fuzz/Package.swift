// swift-tools-version:6.2
// libFuzzer targets for the parsers and verifiers that read untrusted or operator-written input. A package of its
// own, depending on the root by path, so that `swift build` and `swift test` of the root never build them.
// Build and run them with scripts/fuzz; the sanitizer flags are passed on the command line (see that script)
// because the modules under test must be instrumented too, not only these targets.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // Each fuzzer is one file with `@main`, which hands its `LLVMFuzzerTestOneInput` to libFuzzer's driver.
    .unsafeFlags(["-parse-as-library"]),
]

func relay(_ product: String) -> Target.Dependency { .product(name: product, package: "engage-relay") }

let package = Package(
    name: "engage-relay-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "engage-relay", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["FuzzDriver"], swiftSettings: strict),
        .executableTarget(
            name: "fuzz-config",
            dependencies: [
                "FuzzSupport", relay("RelayConfig"), relay("RelayCore"), relay("RelayPlanning"),
                relay("RelayTesting"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fuzz-filter",
            dependencies: ["FuzzSupport", relay("RelayConfig"), relay("RelayCore"), relay("EngageEvents")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fuzz-webhook",
            dependencies: ["FuzzSupport", relay("WebhookVerification"), relay("EngageEvents")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fuzz-envelope",
            dependencies: ["FuzzSupport", relay("EngageEvents"), relay("RelayCore"), relay("WebhookVerification")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fuzz-decrypt",
            dependencies: ["FuzzSupport", relay("WebhookVerification")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "fuzz-forwarding",
            dependencies: ["FuzzSupport", relay("WebhookVerification"), relay("RelayConfig")],
            swiftSettings: strict
        ),
    ]
)
