import EngageEvents
import Foundation
import Logging
import RelayCore
@testable import RelayExecSink
import RelayTesting
import Testing

/// What an exec child may see and say: a minimal environment, no options from event data, no secret in its reason
/// or in the logs. Real children, run by the real sink.
@Suite struct ExecSinkHardeningTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    static func fixture(_ name: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(name)").path
    }

    func makeFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("exec-hardening-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func event(id: String = "ev-1", tenant: String = "se") throws -> EngageEvent {
        let body = #"{"eventType":"contact.created","id":"\#(id)","tenant":"\#(tenant)","payload":{"contactId":"c-1"}}"#
        return try EngageEvent(decoding: Array(body.utf8), messageId: "msg_1", receivedAt: Date())
    }

    func makeSink(
        _ command: [String], env: [(String, String)] = [], relayEnvironment: [String: String],
        logs: CapturedLogs = CapturedLogs(), redactor: SecretRedactor = SecretRedactor()
    ) throws -> ExecSink {
        let options = SinkOptions([
            "command": [.words(command)], "env": env.map { SinkOptionValue.pair(name: $0.0, value: $0.1) },
        ])
        return try ExecSink(
            configuration: SinkConfiguration(name: "script", options: options),
            context: SinkContext(logger: logs.logger(level: .trace), redactor: redactor),
            environment: relayEnvironment)
    }

    @Test func aChildGetsPathHomeLangTzTheEventAndItsOwnVariablesButNothingElseOfTheRelays() async throws {
        let folder = try makeFolder()
        let relay = [
            "PATH": "/usr/bin:/bin", "HOME": "/var/lib/engage-relay", "LANG": "C.UTF-8", "TZ": "Europe/Stockholm",
            "ENGAGE_SIGNING_SECRET": Self.secret, "ENGAGE_PAYLOAD_KEY": "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2",
            "AWS_SECRET_ACCESS_KEY": "aws-secret", "LC_ALL": "C", "ERP_TOKEN": "erp-token-value",
        ]
        let sink = try makeSink(
            ["/bin/sh", Self.fixture("env_all.sh")],
            env: [("OUT_DIR", folder), ("TOKEN", "env:ERP_TOKEN"), ("LANG", "sv_SE.UTF-8")], relayEnvironment: relay)
        #expect(try await sink.deliver([try event()]) == [.delivered])
        let lines = try String(contentsOfFile: "\(folder)/env-all", encoding: .utf8).split(separator: "\n")
        // The shell adds PWD (and some add SHLVL and _) itself.
        let variables = lines.filter { line in !["PWD=", "SHLVL=", "_=", "OLDPWD="].contains { line.hasPrefix($0) } }
        #expect(
            variables.sorted() == [
                "ENGAGE_CONTACT_ID=c-1", "ENGAGE_EVENT_ID=ev-1", "ENGAGE_EVENT_TYPE=contact.created",
                "ENGAGE_MESSAGE_ID=msg_1", "ENGAGE_TENANT=se", "HOME=/var/lib/engage-relay", "LANG=sv_SE.UTF-8",
                "OUT_DIR=\(folder)", "PATH=/usr/bin:/bin", "TOKEN=erp-token-value", "TZ=Europe/Stockholm",
            ], "\(lines)")
    }

    @Test func theRelaysOwnEnvironmentIsNotPassedOnByThePublicInitializerEither() async throws {
        let folder = try makeFolder()
        let options = SinkOptions([
            "command": [.words(["/bin/sh", Self.fixture("env_all.sh")])],
            "env": [.pair(name: "OUT_DIR", value: folder)],
        ])
        let sink = try ExecSink(
            configuration: SinkConfiguration(name: "script", options: options),
            context: SinkContext(logger: Logger(label: "test")))
        #expect(try await sink.deliver([try event()]) == [.delivered])
        let names = try String(contentsOfFile: "\(folder)/env-all", encoding: .utf8).split(separator: "\n")
            .map { $0.prefix { $0 != "=" } }
        let allowed = ExecSink.eventVariables.union(ExecSink.passedOn + ["OUT_DIR", "PWD", "SHLVL", "_", "OLDPWD"])
        #expect(names.allSatisfy { allowed.contains(String($0)) }, "\(names)")
    }

    @Test func anEnvValueThatNamesAnUnsetVariableIsAStartUpErrorNamingIt() {
        let error = #expect(throws: SinkError.self) {
            try makeSink(["/bin/true"], env: [("TOKEN", "env:NOT_SET_ANYWHERE")], relayEnvironment: [:])
        }
        #expect(error?.message == "sink `script`: `env` `TOKEN`: environment variable `NOT_SET_ANYWHERE` is not set")
    }

    @Test(arguments: [("-rf", "se"), ("ev-1", "--output=/etc/passwd"), ("ev-1", "-")])
    func aPlaceholderThatWouldStartAnArgumentWithADashIsRefusedBeforeAnythingRuns(id: String, tenant: String)
        async throws
    {
        let folder = try makeFolder()
        let sink = try makeSink(
            ["/bin/sh", Self.fixture("record.sh"), "--tenant={tenant}", "{id}", "{tenant}"],
            env: [("OUT_DIR", folder)], relayEnvironment: ["PATH": "/usr/bin:/bin"])
        let outcomes = try await sink.deliver([try event(id: id, tenant: tenant)])
        guard case .failed(let reason) = outcomes.first else {
            Issue.record("expected a failure, got \(outcomes)")
            return
        }
        #expect(reason.contains("would start with `-` from the event's fields"))
        #expect(reason.contains("put `--` before the placeholders"))
        #expect(!reason.contains("-rf") && !reason.contains("--output"), "the reason quotes the event's text")
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/args"), "the command ran")
    }

    @Test func afterALiteralDoubleDashAPlaceholderMayStartWithADash() async throws {
        let folder = try makeFolder()
        let sink = try makeSink(
            ["/bin/sh", Self.fixture("record.sh"), "--tenant={tenant}", "--", "{id}", "{tenant}"],
            env: [("OUT_DIR", folder)], relayEnvironment: ["PATH": "/usr/bin:/bin"])
        #expect(try await sink.deliver([try event(id: "-rf", tenant: "--all")]) == [.delivered])
        let args = try String(contentsOfFile: "\(folder)/args", encoding: .utf8)
        #expect(args == "--tenant=--all\0--\0-rf\0--all\0")
    }

    @Test func aChildThatPrintsASecretLeavesItInNeitherTheReasonNorTheLogs() async throws {
        let logs = CapturedLogs()
        // The runtime's redactor holds the config's secrets (the signing secret here); the sink adds its `env`.
        let redactor = SecretRedactor([Self.secret, String(Self.secret.dropFirst(6))])
        let sink = try makeSink(
            ["/bin/sh", Self.fixture("leak.sh")], env: [("LEAK", "env:SIGNING"), ("OTHER", "sink-env-s3cret")],
            relayEnvironment: ["SIGNING": Self.secret], logs: logs, redactor: redactor)
        #expect(redactor.count == 3, "the sink did not add its env values")
        let outcomes = try await sink.deliver([try event()])
        guard case .failed(let reason) = outcomes.first else {
            Issue.record("expected a failure, got \(outcomes)")
            return
        }
        #expect(reason == "exit 1; stderr: stderr: the value is [redacted], or [redacted].")
        let lines = logs.all.filter { $0.contains("exec finished") }
        #expect(lines.count == 1)
        #expect(lines.allSatisfy { $0.contains("stdout: the value is [redacted].") })
        for line in logs.all {
            #expect(!line.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "\(line)")
        }
        // The sink's own env value is scrubbed from the next child's output too.
        let other = try makeSink(
            ["/bin/sh", Self.fixture("leak.sh")], env: [("LEAK", "sink-env-s3cret")], relayEnvironment: [:],
            redactor: redactor)
        #expect(
            try await other.deliver([try event()]) == [
                .failed(reason: "exit 1; stderr: stderr: the value is [redacted], or [redacted].")
            ])
    }

    @Test func aTailCutThroughASecretDoesNotKeepItsEnd() {
        let redactor = SecretRedactor([Self.secret])
        var tail = OutputTail(limit: 64 * 1024)
        // The kept 64 KiB start 12 bytes before the secret's end.
        let output = Array(Self.secret.utf8) + Array(repeating: UInt8(ascii: "x"), count: 64 * 1024 - 12)
        output.withUnsafeBytes { tail.append($0) }
        let text = tail.text(redacting: redactor)
        #expect(text.hasPrefix("…[redacted]xxx"))
        #expect(!text.contains(String(Self.secret.suffix(12))))
        #expect(!text.contains(String(Self.secret.suffix(4))))
        #expect(tail.text().hasPrefix("…" + Self.secret.suffix(12)), "the fixture does not cut through the secret")
    }
}
