import EngageRelay
import Foundation
import Logging
import RelaySpoolSQLite
import RelayTesting
import Testing

/// The commands that verify nothing read no verification secret: the real binary, with none of them in its
/// environment (a CI, or an operator's shell beside the service).
@Suite struct SecretFreeCommandsTests {
    /// This process's environment without any variable a config here references.
    static func environment(adding extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("ENGAGE_") && !$0.key.hasPrefix("SECRET_FREE_") && $0.key != "ERP_TOKEN"
        }
        environment.merge(extra) { $1 }
        return environment
    }

    static func relay(_ arguments: [String], cwd: URL? = nil, adding extra: [String: String] = [:]) async throws
        -> ChildProcess.Output
    {
        try await ChildProcess.run(RelayBinary.url.path, arguments, cwd: cwd, environment: environment(adding: extra))
    }

    /// A folder with a config whose every secret is an `env:` reference (none set) and a spool holding one event.
    static func folderWithSpool() async throws -> (folder: URL, config: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secret-free-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("relay.conf").path
        try """
        listen 127.0.0.1:0
        verify {
            secret  env:SECRET_FREE_SIGNING
            header  X-Engage-Token env:SECRET_FREE_TOKEN file:\(folder.path)/no-such-token
            decrypt env:SECRET_FREE_PAYLOAD_KEY
        }
        spool { path \(folder.path)/spool.db }
        sink erp http { url https://erp.example/engage; header Authorization "Bearer ${env:SECRET_FREE_ERP}" }
        sink all file { path \(folder.path)/all.jsonl }
        route * -> all, erp
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let spool = try SQLiteSpool(path: "\(folder.path)/spool.db", logger: Logger(label: "test"))
        let body = #"{"eventType":"contact.created","id":"evt_1","isEncrypted":false,"payload":{},"tenant":"se"}"#
        _ = try await spool.append(
            SpoolRecord(
                messageId: "msg_1", eventId: "evt_1", type: "contact.created", tenant: "se", receivedAt: Date(),
                body: Array(body.utf8), sinks: ["all"], state: .routed))
        try await spool.close()
        return (folder, config)
    }

    @Test func inspectionCommandsWorkWithoutAnySecretInTheEnvironment() async throws {
        let (_, config) = try await Self.folderWithSpool()
        for arguments in [
            ["events", "list"], ["events", "show", "msg_1"], ["dead-letters", "list"], ["dead-letters", "retry"],
            ["dead-letters", "purge"], ["events", "purge", "--state", "undeliverable"],
        ] {
            let result = try await Self.relay(arguments + ["--config", config])
            #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.stderrText)")
            #expect(!result.stderrText.contains("SECRET_FREE"), "\(arguments): \(result.stderrText)")
        }
        let listed = try await Self.relay(["events", "list", "--config", config])
        #expect(listed.stdoutText.contains("msg_1"))
    }

    @Test func replayReadsThePayloadKeyItNeedsToRouteAndNoOtherSecret() async throws {
        let (_, config) = try await Self.folderWithSpool()
        let withoutKey = try await Self.relay(["replay", "msg_1", "--config", config])
        #expect(withoutKey.status == 1)
        #expect(withoutKey.stderrText.contains("cannot read `decrypt` from env:SECRET_FREE_PAYLOAD_KEY"))
        #expect(!withoutKey.stderrText.contains("SECRET_FREE_SIGNING"), "\(withoutKey.stderrText)")
        #expect(!withoutKey.stderrText.contains("SECRET_FREE_TOKEN"), "\(withoutKey.stderrText)")
        let withKey = try await Self.relay(
            ["replay", "msg_1", "--config", config],
            adding: ["SECRET_FREE_PAYLOAD_KEY": "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2"])
        #expect(withKey.status == 0, "\(withKey.stderrText)")
        #expect(withKey.stdoutText == "queued 2 deliveries\n")
    }

    @Test func checkWithoutResolvingSecretsPassesAndSaysWhatItDidNotRead() async throws {
        let (_, config) = try await Self.folderWithSpool()
        let resolving = try await Self.relay(["check", "--config", config])
        #expect(resolving.status == 1)
        #expect(resolving.stderrText.contains("environment variable `SECRET_FREE_SIGNING` is not set"))
        #expect(resolving.stderrText.contains("environment variable `SECRET_FREE_PAYLOAD_KEY` is not set"))
        let checked = try await Self.relay(["check", "--no-resolve-secrets", "--config", config])
        #expect(checked.status == 0, "\(checked.stderrText)")
        #expect(checked.stdoutText.contains("verify    1 secret(s), 0 public key(s) [env:SECRET_FREE_SIGNING]"))
        #expect(
            checked.stdoutText.contains(
                "not read  env:SECRET_FREE_SIGNING (secret), env:SECRET_FREE_TOKEN (header X-Engage-Token), "
                    + "file:\(URL(fileURLWithPath: config).deletingLastPathComponent().path)/no-such-token "
                    + "(header X-Engage-Token), env:SECRET_FREE_PAYLOAD_KEY (decrypt)"),
            "\(checked.stdoutText)")
        #expect(checked.stdoutText.contains("route"))
        #expect(!checked.stderrText.contains("no `decrypt` key"), "a decrypt key left unread is still configured")
    }

    @Test func checkWithoutResolvingSecretsStillReportsEverythingElse() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secret-free-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("bad.conf").path
        try """
        verify {
            secret  env:
            secret  whsec_notbase64!!
            decrypt file:
            header  X-Token env:A=B
        }
        sink a fiel { path /tmp/x }
        route * -> a
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await Self.relay(["check", "--no-resolve-secrets", "--config", config])
        #expect(result.status == 1)
        let errors = result.stderrText.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(errors.contains { $0.hasPrefix("\(config):2:13: error: cannot read `secret` from env:") }, "\(errors)")
        #expect(
            errors.contains { $0.hasPrefix("\(config):3:13: error: `secret` <literal> is not a valid signing secret") })
        #expect(errors.contains { $0.hasPrefix("\(config):4:13: error: cannot read `decrypt` from file:") })
        #expect(errors.contains { $0.hasPrefix("\(config):5:21: error: cannot read `header X-Token` from env:A=B") })
        #expect(errors.contains { $0.contains("unknown sink kind `fiel`") })
    }

    @Test func theQuickstartCommandsFromAnotherTerminalNeedNoSecret() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quickstart-\(UUID())")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        let spool = try SQLiteSpool(
            path: folder.appendingPathComponent("data/spool.db").path, logger: Logger(label: "t"))
        try await spool.close()
        let quickstart = Fixtures.repository.appendingPathComponent("examples/quickstart.conf").path
        let listed = try await Self.relay(["events", "list", "--config", quickstart], cwd: folder)
        #expect(listed.status == 0, "\(listed.stderrText)")
        let checked = try await Self.relay(["check", "--no-resolve-secrets", "--config", quickstart], cwd: folder)
        #expect(checked.status == 0, "\(checked.stderrText)")
    }

    @Test func serveAlwaysReadsEverySecret() async throws {
        let (_, config) = try await Self.folderWithSpool()
        let result = try await Self.relay(["serve", "--config", config])
        #expect(result.status == 1)
        #expect(result.stderrText.contains("environment variable `SECRET_FREE_SIGNING` is not set"))
    }
}
