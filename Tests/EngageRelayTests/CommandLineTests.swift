import EngageRelay
import Foundation
import RelayTesting
import Testing

/// The `engage-relay` executable run as a child process.
@Suite struct CommandLineTests {
    /// Compares with a golden file in Fixtures; `UPDATE_GOLDEN=/path/to/Tests/EngageRelayTests/Fixtures` rewrites it.
    func expectGolden(_ actual: String, _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        if let folder = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] {
            try actual.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: Fixtures.url(name), encoding: .utf8)
        #expect(actual == expected, sourceLocation: sourceLocation)
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["ENGAGE_RELAY_TEST_SECRET"] = testSecret
        environment.removeValue(forKey: "ENGAGE_RELAY_TEST_UNSET_SECRET")
        return environment
    }

    @Test func checkReportsEveryMistakeWithLineColumnCaretAndSuggestion() async throws {
        let result = try await ChildProcess.run(
            RelayBinary.url.path, ["check", "--config", "bad.conf"], cwd: Fixtures.folder, environment: environment)
        #expect(result.status == 1)
        #expect(result.stdoutText.isEmpty)
        let errors = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("bad.conf:") && $0.contains(": error: ") }
        #expect(errors.count >= 5)
        #expect(result.stderrText.contains("did you mean `path`?"))
        #expect(result.stderrText.contains("did you mean `tolerance`?"))
        try expectGolden(result.stderrText, "bad.conf.expected")
    }

    @Test func checkPrintsTheRouteTableWithoutSecretValues() async throws {
        let result = try await ChildProcess.run(
            RelayBinary.url.path, ["check", "--config", "good.conf"], cwd: Fixtures.folder, environment: environment)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(!result.stdoutText.contains(testSecret.dropFirst(6)))
        #expect(result.stdoutText.contains("env:ENGAGE_RELAY_TEST_SECRET"))
        try expectGolden(result.stdoutText, "good.conf.expected")
    }

    @Test func checkOnAMissingFileSaysSoAndFails() async throws {
        let result = try await ChildProcess.run(
            RelayBinary.url.path, ["check", "--config", "no-such.conf"], cwd: Fixtures.folder, environment: environment)
        #expect(result.status == 1)
        #expect(result.stderrText.contains("cannot read config `no-such.conf`"))
    }

    @Test(arguments: ["svix", "webhook"])
    func sendSignsSoThatTheOfficialSvixLibraryVerifies(headerStyle: String) async throws {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", Fixtures.url("svix_verify_server.py").path, testSecret]
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        defer { server.terminate() }
        let reader = output.fileHandleForReading
        let port = try #require(Int(readLine(reader)))

        let sent = try await ChildProcess.run(
            RelayBinary.url.path,
            [
                "send", Fixtures.events.appendingPathComponent("loyalty.addPoints.json").path, "--url", "http://127.0.0.1:\(port)/hook",
                "--secret", "env:ENGAGE_RELAY_TEST_SECRET", "--header-style", headerStyle,
            ],
            environment: environment)
        #expect(sent.status == 0, "\(sent.stderrText)")
        #expect(sent.stdoutText.hasPrefix("204 "))
        let verdict = readLine(reader)
        #expect(verdict.hasPrefix("valid msg_"), "svix said: \(verdict)")
    }

    @Test(arguments: [
        (["serve", "--log-level", "loud"], ["trace", "debug", "info", "notice", "warning", "error", "critical"]),
        (["serve", "--log-format", "yaml"], ["text", "json"]),
        (["events", "list", "--state", "inflight"], ["pending", "in-flight", "delivered", "failed"]),
    ])
    func anUnknownOptionValueIsRefusedWithTheValidOnes(arguments: [String], valid: [String]) async throws {
        let result = try await ChildProcess.run(RelayBinary.url.path, arguments, environment: environment)
        #expect(result.status == 64, "\(result.stderrText)")
        #expect(result.stderrText.contains("The value '\(arguments[arguments.count - 1])' is invalid"))
        // argument-parser quotes up to five values in one sentence and lists more as `- value` lines.
        let list = try #require(result.stderrText.components(separatedBy: "Please provide one of").last)
        for value in valid {
            #expect(list.contains("'\(value)'") || list.contains("- \(value)\n"), "`\(value)` is not listed: \(list)")
        }
    }

    @Test(arguments: [
        ["serve", "--config", "no-such.conf", "--log-level", "notice", "--log-format", "json"],
        ["events", "list", "--spool", "no-such.db", "--state", "in-flight"],
    ])
    func theDocumentedSpellingsAreAccepted(arguments: [String]) async throws {
        let result = try await ChildProcess.run(
            RelayBinary.url.path, arguments, cwd: Fixtures.folder, environment: environment)
        #expect(result.status == 1, "parsed, then stopped at the missing file: \(result.stderrText)")
        #expect(!result.stderrText.contains("is invalid"))
    }

    func readLine(_ handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while let byte = try? handle.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
