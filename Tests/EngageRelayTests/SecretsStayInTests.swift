import EngageRelay
import Foundation
import Logging
import RelaySpoolSQLite
import RelayTesting
import Testing

/// The real `engage-relay` binary: secrets reach neither an exec child's environment (unless the config passes one
/// on), nor the spool, nor the logs, nor `check`'s output.
@Suite struct SecretsStayInTests {
    static let erpToken = "erp-token-0123456789"
    static let headerLiteral = "Bearer literal-hdr-s3cret"
    static let envLiteral = "exec-env-s3cret"
    static let urlPassword = "hunter2pass"

    /// A config with an exec sink that prints the signing secret it is (deliberately) given, and an http sink with a
    /// literal header, a URL with credentials and an `env:` header secret.
    static func config(folder: URL) -> String {
        """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET; header X-Engage-Token env:SECRETS_TEST_TOKEN }
        spool { path \(folder.path)/spool.db }
        sink leaky exec {
            command /bin/sh \(Fixtures.url("leak_env.sh").path)
            env OUT_DIR \(folder.path)
            env LEAK env:ENGAGE_SIGNING_SECRET
            env API_KEY \(envLiteral)
            retry attempts=1
        }
        sink erp http {
            url https://erp-user:\(urlPassword)@127.0.0.1:9/engage
            header Authorization "\(headerLiteral)"
            header X-Erp-Token "${env:ERP_TOKEN}"
        }
        route contact.* -> leaky
        route point.* -> erp
        """
    }

    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["ENGAGE_SIGNING_SECRET"] = testSecret
        environment["SECRETS_TEST_TOKEN"] = "header-token-value-42"
        environment["ERP_TOKEN"] = erpToken
        environment["SECRETS_TEST_RELAY_ONLY"] = "relay-only-marker"
        return environment
    }

    /// Every secret value of the config above, and the signing secret's key without its prefix.
    static let secretTexts = [
        testSecret, String(testSecret.dropFirst(6)), "header-token-value-42", erpToken, envLiteral, urlPassword,
        "literal-hdr-s3cret",
    ]

    @Test func anExecChildSeesNoRelaySecretAndWhatItPrintsIsScrubbedFromTheSpoolAndTheLogs() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configURL = folder.appendingPathComponent("relay.conf")
        try Self.config(folder: folder).write(to: configURL, atomically: true, encoding: .utf8)
        let server = try RelayProcess(
            config: configURL, log: folder.appendingPathComponent("server.log"), arguments: ["--log-level", "trace"],
            environment: Self.environment)
        defer { server.stop() }
        // A bound on waiting for start-up on a loaded machine, not a timing assertion.
        let port = try await server.port(timeout: .seconds(120))

        let request = try await PythonSvix.sign([try Fixtures.engageBody("contact.created.json")])[0]
        var headers = request.headers()
        headers.append(("X-Engage-Token", "header-token-value-42"))
        let status = try await Self.post(request.body, headers: headers, port: port)
        #expect(status == 204)

        let spool = try SQLiteSpool(path: folder.appendingPathComponent("spool.db").path, logger: Logger(label: "t"))
        var dead: StoredDelivery?
        let deadline = ContinuousClock.now + .seconds(60)
        while dead == nil, ContinuousClock.now < deadline {
            dead = try await spool.event(request.messageId)?.deliveries.first { $0.state == .failed }
            if dead == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let lastError = try #require(dead?.lastError)
        #expect(lastError == "exit 1; stderr: failed with [redacted] ([redacted])", "\(lastError)")
        try await spool.close()

        // The child's environment: its own `env` lines (LEAK was passed on on purpose) and the event's, not the relay's.
        let childEnvironment = try String(contentsOf: folder.appendingPathComponent("env"), encoding: .utf8)
        let names = Set(childEnvironment.split(separator: "\n").map { String($0.prefix { $0 != "=" }) })
        #expect(!names.contains("ENGAGE_SIGNING_SECRET") && !names.contains("SECRETS_TEST_TOKEN"))
        #expect(!names.contains("ERP_TOKEN") && !names.contains("SECRETS_TEST_RELAY_ONLY"))
        #expect(names.isSuperset(of: ["PATH", "OUT_DIR", "LEAK", "API_KEY", "ENGAGE_EVENT_ID", "ENGAGE_MESSAGE_ID"]))

        try await server.waitForLog("exec finished")
        let shown = try await ChildProcess.run(
            RelayBinary.url.path, ["dead-letters", "list", "--json", "--config", configURL.path])
        #expect(shown.status == 0, "\(shown.stderrText)")
        server.stop()
        for text in Self.secretTexts {
            #expect(!server.logText.contains(text), "the log holds a secret: \(text)")
            #expect(!shown.stdoutText.contains(text), "dead-letters list shows a secret: \(text)")
        }
        #expect(server.logText.contains("relay.exec.stdout=got [redacted]"))
    }

    @Test func checkAndTheStartUpSummaryShowNoLiteralSecret() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configURL = folder.appendingPathComponent("relay.conf")
        try Self.config(folder: folder).write(to: configURL, atomically: true, encoding: .utf8)
        for arguments in [["check"], ["check", "--no-resolve-secrets"]] {
            let checked = try await ChildProcess.run(
                RelayBinary.url.path, arguments + ["--config", configURL.path], environment: Self.environment)
            #expect(checked.status == 0, "\(checked.stderrText)")
            for text in Self.secretTexts {
                #expect(
                    !checked.stdoutText.contains(text) && !checked.stderrText.contains(text), "\(arguments): \(text)")
            }
            #expect(
                checked.stdoutText.contains("url=https://<credentials>@127.0.0.1:9/engage"), "\(checked.stdoutText)")
            #expect(checked.stdoutText.contains("header=Authorization <literal>"))
            #expect(checked.stdoutText.contains("header=X-Erp-Token <text with env:ERP_TOKEN>"))
            #expect(checked.stdoutText.contains("env=API_KEY <literal>"))
            #expect(checked.stdoutText.contains("env=LEAK env:ENGAGE_SIGNING_SECRET"))
        }
        let server = try RelayProcess(
            config: configURL, log: folder.appendingPathComponent("server.log"), environment: Self.environment)
        defer { server.stop() }
        _ = try await server.port()
        server.stop()
        let startup = try #require(
            server.logText.split(separator: "\n").first { $0.contains("engage-relay listening") })
        #expect(startup.contains("relay.sinks=leaky(exec),erp(http)"))
        for text in Self.secretTexts { #expect(!server.logText.contains(text), "\(text)") }
    }

    @Test func diagnosticsQuoteNoSecretTextNeitherInTheMessageNorInTheSourceLine() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configURL = folder.appendingPathComponent("relay.conf")
        try """
        verify { secret whsec_not-base64-s3cret!; header X-Token literal-token-s3cret }
        sink erp http { url erp-user:\(Self.urlPassword)@erp.example/engage; header Authorization "\(Self.headerLiteral)" x }
        sink run exec { command /bin/true; env API_KEY \(Self.envLiteral); shel true }
        route * -> erp, run
        """.write(to: configURL, atomically: true, encoding: .utf8)
        let checked = try await ChildProcess.run(
            RelayBinary.url.path, ["check", "--no-resolve-secrets", "--config", configURL.path])
        #expect(checked.status == 1)
        #expect(
            checked.stderrText.contains("`<credentials>@erp.example/engage` is not a valid url"),
            "\(checked.stderrText)")
        #expect(checked.stderrText.contains("unknown key `shel`"))
        #expect(checked.stderrText.contains("`header` takes a name and a value"))
        for text in [
            "not-base64-s3cret", "literal-token-s3cret", Self.urlPassword, "literal-hdr-s3cret", Self.envLiteral,
        ] {
            #expect(!checked.stderrText.contains(text), "check printed \(text): \(checked.stderrText)")
        }
        // The source lines are there, masked column for column.
        #expect(
            checked.stderrText.contains(
                "    verify { secret ************************; header X-Token ******************** }"))
    }

    static func post(_ body: [UInt8], headers: [(String, String)], port: Int) async throws -> Int {
        let relay = try await ChildProcess.run(
            "curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary", "@-"]
                + headers.flatMap { ["-H", "\($0.0): \($0.1)"] } + ["http://127.0.0.1:\(port)/webhooks/engage"],
            stdin: Data(body))
        return Int(relay.stdoutText) ?? -1
    }
}
