#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import EngageEvents
import Foundation
import Logging
import RelayConfig
import RelayCore
import Subprocess

/// Runs a command once per event: the exact body on standard input, the event's fields in the environment.
///
/// The command runs directly (argv, no shell) unless `shell true`. Its environment is not the relay's (which holds
/// the signing secret): only `PATH`, `HOME`, `LANG` and `TZ` are passed on (when the relay has them), with
/// `ENGAGE_EVENT_ID`, `ENGAGE_EVENT_TYPE`, `ENGAGE_TENANT` and `ENGAGE_CONTACT_ID` (when known), `ENGAGE_MESSAGE_ID`,
/// and the configured `env` pairs (a value may be `env:NAME` or `file:PATH`, read when the sink is built).
///
/// A placeholder value that would make an argument start with `-` could turn event data into an option of the
/// program, so such an event fails (a dead letter, with the reason) unless the argument comes after a literal `--`
/// in `command`, where programs that follow the POSIX convention read everything as operands.
///
/// Exit 0 is delivered; exit 75 (`EX_TEMPFAIL`), an exit code listed in `retry-exit-codes`, death by a signal and the
/// timeout are retried; any other exit code fails. On timeout the command's whole process group is killed. Output is
/// kept bounded (the last 64 KiB of each stream); its end goes into the outcome's reason and the debug log, scrubbed
/// of every secret value of the config (``SinkContext/redactor``); the command should still not print the body.
///
/// With `shell true` the words run as `/bin/sh -c "WORDS"` and placeholders are *not* substituted: a shell would
/// interpret an event's text, so a script reads the event from standard input and `$ENGAGE_*` (quoted) instead.
public final class ExecSink: Sink {
    /// Registered as `exec`.
    public static let kind = "exec"
    /// One line for listings.
    public static let summary = "run a command per event, with the body on standard input"
    /// The options of an `exec` block, as typed keys.
    enum Key {
        static let command = SinkOptionKey.words(
            "command", required: true,
            doc: "the program and its arguments (no shell); {type} {tenant} {id} {contactId} are filled in per event")
        static let shell = SinkOptionKey.boolean(
            "shell", default: false,
            doc: "run the words with /bin/sh -c, without placeholders (use stdin and $ENGAGE_* instead)")
        static let timeout = SinkOptionKey.duration(
            "timeout", default: "30s", in: .milliseconds(1)...(.seconds(86_400)),
            doc: "kill the command's process group and retry after this (1ms to 1d)")
        static let workingDirectory = SinkOptionKey.path(
            "working-dir", doc: "the directory the command runs in (default: the relay's)")
        static let env = SinkOptionKey.pairs(
            "env", doc: "an environment variable for the command; VALUE may be env:NAME or file:PATH (the command gets"
                + " only PATH, HOME, LANG, TZ and ENGAGE_* otherwise)")
        static let retryExitCodes = SinkOptionKey.words(
            "retry-exit-codes", doc: "exit codes besides 75 (EX_TEMPFAIL) that mean \"try again later\"")
    }

    /// The options of an `exec` block (`concurrency` is the engine's `max-in-flight` under this kind's own name).
    public static let options: [SinkOption] = [
        Key.command.option, Key.shell.option, Key.timeout.option, DeliveryPolicy.Key.concurrency.option,
        Key.workingDirectory.option, Key.env.option, Key.retryExitCodes.option,
    ]

    /// One process at a time unless `concurrency` (or `max-in-flight`) says more, which keeps receipt order.
    public static let defaultMaxInFlight = 1

    /// `EX_TEMPFAIL` from `sysexits.h`: always means "try again later".
    static let temporaryFailureExitCode: Int32 = 75
    /// How much of each output stream is kept.
    static let outputLimit = 64 * 1024
    /// How much output goes into an outcome's reason.
    static let reasonOutputLimit = 200
    /// Variables the sink sets per event; `env` may not set them.
    static let eventVariables: Set<String> = [
        "ENGAGE_EVENT_ID", "ENGAGE_EVENT_TYPE", "ENGAGE_TENANT", "ENGAGE_MESSAGE_ID", "ENGAGE_CONTACT_ID",
    ]
    /// The only variables of the relay's own environment a command gets.
    static let passedOn = ["PATH", "HOME", "LANG", "TZ"]

    /// The absolute path of the program.
    let executable: String
    /// argv after the program.
    let arguments: [EventTemplate]
    /// How many arguments come before the first literal `--` (all of them when there is none): a placeholder may
    /// not make one of these start with `-`.
    let optionArguments: Int
    let timeout: Duration
    let workingDirectory: String?
    /// The command's environment apart from the event's variables: what is passed on, then the `env` pairs.
    let environment: [(name: String, value: String)]
    let retryExitCodes: Set<Int32>
    let logger: Logger
    let redactor: SecretRedactor

    /// Validates the command (the program must exist and be executable), directory, variables and exit codes;
    /// `env:` values and `PATH`, `HOME`, `LANG`, `TZ` come from the relay's environment.
    public convenience init(configuration: SinkConfiguration, context: SinkContext) throws {
        try self.init(configuration: configuration, context: context, environment: ProcessInfo.processInfo.environment)
    }

    /// Validates the command as the public initializer does, with `environment` as the relay's environment.
    init(
        configuration: SinkConfiguration, context: SinkContext, environment relayEnvironment: [String: String]
    ) throws {
        let options = configuration.options
        let name = configuration.name
        func problem(_ message: String) -> SinkError { SinkError("sink `\(name)`: \(message)") }

        let words = try options.required(Key.command, sink: name)
        guard let first = words.first, !first.isEmpty else {
            throw problem("the exec sink needs `command PROGRAM [ARGUMENT...]`")
        }
        let timeout = options[Key.timeout] ?? .seconds(30)

        let workingDirectory = options[Key.workingDirectory]
        if let workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: workingDirectory, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                throw problem("`working-dir` `\(workingDirectory)` is not a directory")
            }
        }

        var environment: [(name: String, value: String)] = Self.passedOn.compactMap { name in
            relayEnvironment[name].map { (name, $0) }
        }
        var declared: [String] = []
        for (variable, written) in (options[Key.env] ?? []).map({ ($0.name, $0.value) }) {
            guard !variable.isEmpty, !variable.contains("="), !variable.contains("\0") else {
                throw problem("`env` `\(variable)` is not a valid variable name")
            }
            guard !Self.eventVariables.contains(variable) else {
                throw problem("`env` `\(variable)` is set by the exec sink for each event")
            }
            let value: String
            do throws(SecretResolutionError) {
                value = try SecretSource(written).resolve(environment: relayEnvironment)
            } catch {
                throw problem("`env` `\(variable)`: \(error.message)")
            }
            guard !value.contains("\0") else { throw problem("`env` `\(variable)` contains a NUL byte") }
            environment.removeAll { $0.name == variable }
            environment.append((variable, value))
            declared.append(value)
        }

        var retryExitCodes: Set<Int32> = []
        for word in options[Key.retryExitCodes] ?? [] {
            guard let code = Int32(word), (1...255).contains(code) else {
                throw problem("`retry-exit-codes` takes exit codes from 1 to 255, not `\(word)`")
            }
            retryExitCodes.insert(code)
        }

        let program: String
        let shell = options[Key.shell] ?? false
        if shell {
            program = "/bin/sh"
            arguments = [EventTemplate(literal: "-c"), EventTemplate(literal: words.joined(separator: " "))]
            optionArguments = 0
        } else {
            let programWord: EventTemplate
            do throws(EventTemplate.UnknownPlaceholder) {
                arguments = try words.dropFirst().map { word throws(EventTemplate.UnknownPlaceholder) in
                    try EventTemplate(parsing: word)
                }
                programWord = try EventTemplate(parsing: words[0])
            } catch {
                throw problem("unknown placeholder `{\(error.name)}` in `command`; \(error.suggestion)")
            }
            guard !programWord.hasPlaceholders else {
                throw problem("the program (the first word of `command`) cannot hold placeholders")
            }
            program = words[0]
            optionArguments = words.dropFirst().firstIndex(of: "--").map { $0 - 1 } ?? words.count - 1
        }
        do throws(SinkError) {
            executable = try Self.locate(program, workingDirectory: workingDirectory, path: relayEnvironment["PATH"])
        } catch {
            throw problem(error.message)
        }
        self.timeout = timeout
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.retryExitCodes = retryExitCodes
        self.logger = context.logger
        self.redactor = context.redactor
        // The `env` values are the config's secrets as much as a header token is.
        redactor.add(declared)
        _ = Self.ignoreBrokenPipes
        if shell,
            let template = try? EventTemplate(parsing: words.joined(separator: " ")), template.hasPlaceholders
        {
            logger.notice(
                "exec shell mode does not fill in placeholders; read $ENGAGE_* (quoted) or stdin instead",
                metadata: ["relay.exec.command": "\(words.joined(separator: " "))"])
        }
    }

    /// Runs the command once per event, in order, and reports each one's outcome.
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        var outcomes: [DeliveryOutcome] = []
        outcomes.reserveCapacity(batch.count)
        for event in batch {
            try Task.checkCancellation()
            outcomes.append(try await run(for: event))
        }
        return outcomes
    }

    /// Runs the command for one event; throws only when the task was cancelled (the process group is then torn
    /// down and the engine retries the event).
    func run(for event: EngageEvent) async throws -> DeliveryOutcome {
        let argv = arguments.map { $0.render(event) }
        if let refused = optionInjection(argv) { return refused }
        let contactId = event.typedPayload.contactId
        let variables: [(String, String?)] = [
            ("ENGAGE_EVENT_ID", event.id), ("ENGAGE_EVENT_TYPE", event.type.rawValue), ("ENGAGE_TENANT", event.tenant),
            ("ENGAGE_MESSAGE_ID", event.messageId), ("ENGAGE_CONTACT_ID", contactId),
        ]
        if argv.contains(where: { $0.contains("\0") }) || variables.contains(where: { $0.1?.contains("\0") == true }) {
            return .failed(reason: "the event's fields contain a NUL byte, which no process argument can carry")
        }
        var childEnvironment: [Environment.Key: String] = [:]
        for (variable, value) in environment { childEnvironment[Environment.Key(stringLiteral: variable)] = value }
        // An unknown tenant or contact leaves its variable out.
        for case (let variable, let value?) in variables {
            childEnvironment[Environment.Key(stringLiteral: variable)] = value
        }

        var logger = logger
        logger[metadataKey: "relay.event.id"] = "\(event.id)"
        logger[metadataKey: "relay.event.type"] = "\(event.type)"
        let report: ProcessReport
        do {
            report = try await runProcess(arguments: argv, environment: .custom(childEnvironment), input: event.body)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            logger.debug("exec could not start", metadata: ["relay.exec.error": "\(error)"])
            return .retry(reason: "could not run `\(executable)`: \(error)")
        }
        logger.debug(
            "exec finished",
            metadata: [
                "relay.exec.status": "\(report.status)",
                "relay.exec.duration": "\(report.duration)",
                "relay.exec.stdout": "\(report.standardOutput.text(redacting: redactor))",
                "relay.exec.stderr": "\(report.standardError.text(redacting: redactor))",
            ])
        return outcome(for: report)
    }

    /// A failure when a placeholder made one of the arguments before the first literal `--` start with `-` (the
    /// program could read event data as an option); `nil` when every argument is safe.
    func optionInjection(_ argv: [String]) -> DeliveryOutcome? {
        for index in 0..<optionArguments where argv[index].hasPrefix("-") {
            // A leading `-` written in the config (`--tenant={tenant}`) is the operator's; only one from an event's
            // field is refused.
            guard case .text(let fixed)? = arguments[index].parts.first, fixed.hasPrefix("-") else {
                return .failed(
                    reason: "argument \(index + 1) of `command` would start with `-` from the event's fields, which"
                        + " the program could read as an option; put `--` before the placeholders"
                        + " (`command PROGRAM [OPTIONS] -- {id}`) if the program reads what follows as operands")
            }
        }
        return nil
    }

    /// Maps how the process ended to an outcome.
    func outcome(for report: ProcessReport) -> DeliveryOutcome {
        let output = report.outputSummary(limit: Self.reasonOutputLimit, redacting: redactor)
        switch report.status {
        case .exited(0):
            return .delivered
        case _ where report.timedOut:
            return .retry(reason: "timed out after \(timeout.configText); killed its process group\(output)")
        case .exited(Self.temporaryFailureExitCode):
            return .retry(reason: "exit 75 (EX_TEMPFAIL)\(output)")
        case .exited(let code) where retryExitCodes.contains(code):
            return .retry(reason: "exit \(code) (listed in retry-exit-codes)\(output)")
        case .exited(let code):
            return .failed(reason: "exit \(code)\(output)")
        case .signaled(let signal):
            return .retry(reason: "killed by signal \(signal)\(output)")
        }
    }

    /// The absolute path of `program`: a path (relative ones against `working-dir`) must be an executable file; a
    /// bare name is looked up on `PATH` now, so a typo fails at start-up rather than per event.
    static func locate(_ program: String, workingDirectory: String?, path: String?) throws(SinkError) -> String {
        if program.contains("/") {
            let base = workingDirectory ?? FileManager.default.currentDirectoryPath
            let path = URL(fileURLWithPath: program, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
                .standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw SinkError("program `\(path)` does not exist")
            }
            guard !isDirectory.boolValue, access(path, X_OK) == 0 else {
                throw SinkError("program `\(path)` is not an executable file (chmod +x?)")
            }
            return path
        }
        let searchPath = path ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in searchPath.split(separator: ":") where folder.hasPrefix("/") {
            let path = (String(folder) as NSString).appendingPathComponent(program)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                access(path, X_OK) == 0
            {
                return path
            }
        }
        throw SinkError("program `\(program)` is not on PATH; write its full path")
    }

    /// A command that exits without reading all of standard input must not kill the relay with `SIGPIPE`; the
    /// write fails with `EPIPE` instead. Children start with default signal handling again.
    static let ignoreBrokenPipes: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()
}
