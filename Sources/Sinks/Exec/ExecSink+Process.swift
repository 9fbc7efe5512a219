import Subprocess

extension ExecSink {
    /// Runs the program once: `input` on standard input, both outputs drained into bounded tails, the whole process
    /// group killed when `timeout` passes.
    ///
    /// The process leads its own process group, so `kill(-pid, SIGKILL)` also reaches whatever it started. Cancelling
    /// the calling task tears the group down too (`SIGTERM`, then `SIGKILL` a second later).
    func runProcess(arguments: [String], environment: Environment, input: [UInt8]) async throws -> ProcessReport {
        var platformOptions = PlatformOptions()
        platformOptions.processGroupID = 0
        platformOptions.teardownSequence = [
            .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(1))
        ]
        let watchdog = ProcessWatchdog()
        let started = ContinuousClock.now
        let timeout = timeout

        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(for: timeout)
                watchdog.fire()
            }
            defer { group.cancelAll() }
            let result = try await Subprocess.run(
                .path(fromText(executable)),
                arguments: Arguments(arguments),
                environment: environment,
                workingDirectory: workingDirectory.map { fromText($0) },
                platformOptions: platformOptions,
                input: .inputWriter,
                output: .sequence,
                error: .sequence
            ) { execution in
                watchdog.started(execution.processIdentifier.value)
                async let written: Void = Self.write(input, to: execution.standardInputWriter)
                async let standardOutput = Self.collect(execution.standardOutput)
                async let standardError = Self.collect(execution.standardError)
                await written
                return (await standardOutput, await standardError)
            }
            watchdog.finished()
            return ProcessReport(
                status: result.terminationStatus,
                timedOut: watchdog.hasFired,
                standardOutput: result.closureResult.0,
                standardError: result.closureResult.1,
                duration: ContinuousClock.now - started)
        }
    }

    /// Writes the body and closes standard input; a command that exits without reading it is not an error here.
    private static func write(_ bytes: [UInt8], to writer: StandardInputWriter) async {
        if !bytes.isEmpty { _ = try? await writer.write(bytes) }
        try? await writer.finish()
    }

    /// Reads a stream to its end, keeping only its last ``outputLimit`` bytes.
    private static func collect(_ stream: SubprocessOutputSequence) async -> OutputTail {
        var tail = OutputTail(limit: outputLimit)
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { tail.append($0) }
            }
        } catch {
            // The stream was cut (the process group was killed); what arrived is what there is.
        }
        return tail
    }
}

/// Builds a value such as `FilePath` from text through its string-literal conformance, so this module needs no
/// direct dependency on the module that declares it (SystemPackage on Linux, System on Apple platforms).
private func fromText<Value: ExpressibleByStringLiteral>(_ text: String) -> Value
where Value.StringLiteralType == String {
    Value(stringLiteral: text)
}
