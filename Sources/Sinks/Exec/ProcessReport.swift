import RelayCore
import Subprocess

/// How one run of the command ended, with the ends of what it printed.
struct ProcessReport: Sendable {
    /// How the process ended.
    var status: TerminationStatus
    /// Whether the timeout fired and the process group was killed.
    var timedOut: Bool
    /// The end of standard output.
    var standardOutput: OutputTail
    /// The end of standard error.
    var standardError: OutputTail
    /// From spawn to exit.
    var duration: Duration

    /// `; stderr: …tail` (or stdout when stderr is empty), at most `limit` bytes of output scrubbed of `redactor`'s
    /// secrets, or nothing.
    func outputSummary(limit: Int, redacting redactor: SecretRedactor) -> String {
        let stderr = standardError.text(last: limit, redacting: redactor)
        if !stderr.isEmpty { return "; stderr: \(stderr)" }
        let stdout = standardOutput.text(last: limit, redacting: redactor)
        return stdout.isEmpty ? "" : "; stdout: \(stdout)"
    }
}
