#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import EngageEvents
import Foundation
import Logging
import RelayCore
@testable import RelayExecSink
import RelayTesting
import Testing

@Suite struct ExecSinkTests {
    /// An Engage body with odd spacing and non-ASCII text, which must arrive unchanged.
    static let body =
        #"{ "eventType" : "contact.created", "id": "ev-1", "tenant":"se",  "#
        + #""payload": {"contactId": "c-42", "note": "räksmörgås"} }"#

    static func fixture(_ name: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(name)").path
    }

    func event(
        _ body: String = ExecSinkTests.body, messageId: String = "msg_\(UUID().uuidString.prefix(8))"
    ) throws -> EngageEvent {
        try EngageEvent(decoding: Array(body.utf8), messageId: messageId, receivedAt: Date())
    }

    /// A fresh folder for a script's records.
    func makeFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("exec-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func makeSink(_ command: [String], _ extra: [String: [SinkOptionValue]] = [:]) throws -> ExecSink {
        var options: [String: [SinkOptionValue]] = ["command": [.words(command)]]
        options.merge(extra) { $0 + $1 }
        return try ExecSink(
            configuration: SinkConfiguration(name: "script", options: SinkOptions(options)),
            context: SinkContext(logger: Logger(label: "test")))
    }

    func read(_ folder: String, _ name: String) throws -> String {
        try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
    }

    @Test func theCommandGetsTheBodyOnStdinAndTheEventInItsEnvironmentAndArguments() async throws {
        let folder = try makeFolder()
        let workingDirectory = try makeFolder()
        let sink = try makeSink(
            ["/bin/sh", Self.fixture("record.sh"), "{contactId}", "id={id}", "{type}:{tenant}", "{}", "plain"],
            [
                "env": [.pair(name: "OUT_DIR", value: folder), .pair(name: "EXTRA_ONE", value: "a b $(c)")],
                "working-dir": [.text(workingDirectory)],
            ])
        let event = try event()
        #expect(try await sink.deliver([event]) == [.delivered])
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/stdin"))) == Array(Self.body.utf8))
        #expect(try read(folder, "args") == "c-42\0id=ev-1\0contact.created:se\0{}\0plain\0")
        #expect(
            try read(folder, "env").split(separator: "\n") == [
                "ENGAGE_CONTACT_ID=c-42", "ENGAGE_EVENT_ID=ev-1", "ENGAGE_EVENT_TYPE=contact.created",
                "ENGAGE_MESSAGE_ID=\(event.messageId)", "ENGAGE_TENANT=se", "EXTRA_ONE=a b $(c)",
            ])
        #expect(
            try read(folder, "cwd").trimmingCharacters(in: .newlines)
                == URL(fileURLWithPath: workingDirectory).resolvingSymlinksInPath().path)
    }

    @Test func anUnknownTenantOrContactLeavesTheirVariablesOut() async throws {
        let folder = try makeFolder()
        let sink = try makeSink(["sh", Self.fixture("record.sh")], ["env": [.pair(name: "OUT_DIR", value: folder)]])
        #expect(try await sink.deliver([try event(#"{"eventType":"x.y","payload":7}"#)]) == [.delivered])
        let variables = try read(folder, "env")
        #expect(!variables.contains("ENGAGE_TENANT"))
        #expect(!variables.contains("ENGAGE_CONTACT_ID"))
        #expect(variables.contains("ENGAGE_EVENT_TYPE=x.y"))
    }

    @Test(arguments: [
        (0, [], "delivered"), (75, [], "retry"), (3, [], "failed"), (3, ["3", "4"], "retry"), (4, ["3"], "failed"),
    ])
    func exitCodesDecideTheOutcome(code: Int, retryCodes: [String], expected: String) async throws {
        let folder = try makeFolder()
        var extra: [String: [SinkOptionValue]] = [
            "env": [.pair(name: "OUT_DIR", value: folder), .pair(name: "EXIT_WITH", value: "\(code)")]
        ]
        if !retryCodes.isEmpty { extra["retry-exit-codes"] = [.words(retryCodes)] }
        let sink = try makeSink(["/bin/sh", Self.fixture("record.sh")], extra)
        let outcome = try #require(try await sink.deliver([try event()]).first)
        switch outcome {
        case .delivered:
            #expect(expected == "delivered")
        case .retry(let reason, let after):
            #expect(expected == "retry")
            #expect(after == nil)
            #expect(reason.hasPrefix("exit \(code)"))
            #expect(reason.hasSuffix("stderr: recorded ev-1"))
        case .failed(let reason):
            #expect(expected == "failed")
            #expect(reason == "exit \(code); stderr: recorded ev-1")
        }
    }

    @Test func aTimeoutKillsTheWholeProcessGroupAndRetries() async throws {
        let folder = try makeFolder()
        let sink = try makeSink(
            ["/bin/sh", Self.fixture("spawn_and_sleep.sh")],
            ["env": [.pair(name: "OUT_DIR", value: folder)], "timeout": [.duration(.seconds(1))]])
        let started = ContinuousClock.now
        let outcomes = try await sink.deliver([try event()])
        // Far below the script's 300 s sleep (loose: a loaded machine may delay the task's resumption).
        #expect(ContinuousClock.now - started < .seconds(120))
        guard case .retry(let reason, nil) = outcomes.first else {
            Issue.record("expected a retry, got \(outcomes)")
            return
        }
        #expect(reason.hasPrefix("timed out after 1s; killed its process group"))
        let child = try #require(pid_t(try read(folder, "child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        let parent = try #require(pid_t(try read(folder, "parent.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await Self.isGone(child), "the script's child \(child) outlived the timeout")
        #expect(await Self.isGone(parent), "the script \(parent) outlived the timeout")
    }

    @Test func cancellingADeliveryTearsTheProcessGroupDown() async throws {
        let folder = try makeFolder()
        let sink = try makeSink(
            ["/bin/sh", Self.fixture("spawn_and_sleep.sh")], ["env": [.pair(name: "OUT_DIR", value: folder)]])
        let event = try event()
        let delivery = Task { try await sink.deliver([event]) }
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: "\(folder)/child.pid"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        delivery.cancel()
        let started = ContinuousClock.now
        let result = await delivery.result
        // Far below the script's 300 s sleep (loose on purpose: a loaded machine may delay the task's resumption).
        #expect(ContinuousClock.now - started < .seconds(60))
        if case .success(let outcomes) = result { #expect(outcomes.first != .delivered) }
        let child = try #require(pid_t(try read(folder, "child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await Self.isGone(child), "the script's child \(child) outlived the cancellation")
    }

    @Test(arguments: [false, true])
    func anEventsTextNeverRunsAsShellCode(shell: Bool) async throws {
        let folder = try makeFolder()
        let marker = "/tmp/x-\(UUID().uuidString)"
        let sneaky = "$(touch \(marker))`touch \(marker)`;touch \(marker)"
        let body = #"{"eventType":"contact.updated","id":"$(touch \#(marker))","payload":{"contactId":"\#(sneaky)"}}"#
        let command =
            shell
            ? [
                #"cat >"$OUT_DIR/stdin";"#, "printf", "'%s|%s|%s'", #""$ENGAGE_CONTACT_ID""#, "{contactId}",
                #""$ENGAGE_EVENT_ID""#, #">"$OUT_DIR/args""#,
            ]
            : ["/bin/sh", Self.fixture("record.sh"), "{contactId}", "{id}"]
        let sink = try makeSink(
            command, ["env": [.pair(name: "OUT_DIR", value: folder)], "shell": [.boolean(shell)]])
        #expect(try await sink.deliver([try event(body)]) == [.delivered])
        #expect(!FileManager.default.fileExists(atPath: marker), "the event's text ran as a command")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/stdin"))) == Array(body.utf8))
        if shell {
            #expect(try read(folder, "args") == "\(sneaky)|{contactId}|$(touch \(marker))")
        } else {
            #expect(try read(folder, "args") == "\(sneaky)\0$(touch \(marker))\0")
        }
    }

    @Test func megabytesOfOutputAreDrainedAndOnlyTheirEndIsKept() async throws {
        // Generous: the point is the draining, and under the whole suite a spawn can wait its turn for long.
        let sink = try makeSink(["/bin/sh", Self.fixture("loud.sh")], ["timeout": [.duration(.seconds(120))]])
        let outcomes = try await sink.deliver([try event()])
        guard case .failed(let reason) = outcomes.first else {
            Issue.record("expected a failure, got \(outcomes)")
            return
        }
        #expect(reason.hasPrefix("exit 3; stderr: …eee"))
        #expect(reason.hasSuffix("eee the last line of stderr"))
        #expect(reason.utf8.count < 260)
    }

    @Test func outputTailKeepsOnlyTheLastBytes() {
        var tail = OutputTail(limit: 64 * 1024)
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000)
        for _ in 0..<105 { chunk.withUnsafeBytes { tail.append($0) } }
        Array("\n\tend ✓✓".utf8).withUnsafeBytes { tail.append($0) }
        #expect(tail.bytes.count == 64 * 1024)
        #expect(tail.total == 1_050_000 + 12)
        #expect(tail.isTruncated)
        #expect(tail.text(last: 14) == "…aa end ✓✓")
        // A cut in the middle of a multi-byte character starts at the next whole one.
        #expect(tail.text(last: 5) == "…✓")
    }

    @Test func aCommandThatIgnoresALargeStdinStillCounts() async throws {
        let big = #"{"eventType":"x","pad":""# + String(repeating: "p", count: 1 << 20) + #""}"#
        let sink = try makeSink(["/bin/true"])
        #expect(try await sink.deliver([try event(big)]) == [.delivered])
    }

    @Test func aBareProgramNameIsFoundOnPath() async throws {
        let sink = try makeSink(["true"])
        #expect(sink.executable.hasSuffix("/true"))
        #expect(try await sink.deliver([try event()]) == [.delivered])
    }

    @Test func badCommandsAreClearErrorsAtStartUp() throws {
        let folder = try makeFolder()
        let notExecutable = "\(folder)/plain.sh"
        try "#!/bin/sh\n".write(toFile: notExecutable, atomically: true, encoding: .utf8)
        let cases: [([String], [String: [SinkOptionValue]], String)] = [
            (["/nonexistent/hook"], [:], "program `/nonexistent/hook` does not exist"),
            ([notExecutable], [:], "program `\(notExecutable)` is not an executable file"),
            ([folder], [:], "is not an executable file"),
            (["no-such-program-\(UUID())"], [:], "is not on PATH"),
            (["/bin/{type}"], [:], "cannot hold placeholders"),
            (["/bin/echo", "{contactID}"], [:], "unknown placeholder `{contactID}`"),
            (["/bin/echo"], ["env": [.pair(name: "ENGAGE_EVENT_ID", value: "x")]], "set by the exec sink"),
            (["/bin/echo"], ["retry-exit-codes": [.words(["3", "x"])]], "not `x`"),
            (["/bin/echo"], ["retry-exit-codes": [.words(["0"])]], "from 1 to 255"),
            (["/bin/echo"], ["working-dir": [.text(notExecutable)]], "is not a directory"),
            (["plain.sh"], ["working-dir": [.text(folder)]], "is not on PATH"),
            (["./plain.sh"], ["working-dir": [.text(folder)]], "program `\(folder)/plain.sh` is not an executable"),
        ]
        for (command, extra, message) in cases {
            do {
                _ = try makeSink(command, extra)
                Issue.record("\(command) \(extra) was accepted")
            } catch {
                #expect("\(error)".hasPrefix("sink `script`: ") && "\(error)".contains(message), "\(command): \(error)")
            }
        }
    }

    @Test func shellModeNeedsNoProgramCheckAndRunsTheWordsAsWritten() async throws {
        let folder = try makeFolder()
        let sink = try makeSink(
            ["echo", "{type}", ">", #""$OUT_DIR/out""#],
            ["shell": [.boolean(true)], "env": [.pair(name: "OUT_DIR", value: folder)]])
        #expect(try await sink.deliver([try event()]) == [.delivered])
        #expect(try read(folder, "out") == "{type}\n")
    }

    @Test func aBackgroundChildThatKeepsOutputOpenDoesNotHoldTheDelivery() async throws {
        let folder = try makeFolder()
        let sink = try makeSink(
            ["sleep 600 & echo $! >\"$OUT_DIR/child.pid\"; exit 0"],
            ["shell": [.boolean(true)], "env": [.pair(name: "OUT_DIR", value: folder)]])
        // The child would hold the output open for ten minutes: the outcome arriving at all shows the delivery did
        // not wait for it (no timing assertion).
        #expect(try await sink.deliver([try event()]) == [.delivered])
        if let child = pid_t(try read(folder, "child.pid").trimmingCharacters(in: .whitespacesAndNewlines)) {
            _ = kill(child, SIGKILL)
        }
    }

    @Test func shellModeWithPlaceholdersSaysTheyAreNotFilledIn() throws {
        let logs = CapturedLogs()
        _ = try ExecSink(
            configuration: SinkConfiguration(
                name: "script",
                options: SinkOptions(["command": [.words(["echo", "{id}"])], "shell": [.boolean(true)]])),
            context: SinkContext(logger: logs.logger()))
        #expect(logs.all.contains { $0.hasPrefix("notice") && $0.contains("does not fill in placeholders") })
    }

    @Test func passesSinkConformance() async throws {
        let folder = try makeFolder()
        let problems = await SinkConformance.check(
            ExecSink.self,
            options: [
                "command": [.words(["/bin/sh", Self.fixture("record.sh")])],
                "env": [.pair(name: "OUT_DIR", value: folder)],
            ]
        ) {
            try String(contentsOfFile: "\(folder)/messages", encoding: .utf8).split(separator: "\n").map(String.init)
        }
        #expect(problems.isEmpty, "\(problems)")
        #expect(ExecSink.defaultBatchSize == 1)
    }

    /// Whether `pid` has exited (a zombie waiting for its reaper counts as exited), waiting up to 3 s.
    static func isGone(_ pid: pid_t) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            if kill(pid, 0) != 0 && errno == ESRCH { return true }
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.range(of: ")", options: .backwards),
                stat[close.upperBound...].split(separator: " ").first == "Z"
            {
                return true
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
