import Synchronization

/// The secret values a running config resolved (verification secrets, header tokens, the payload key, sinks' header
/// secrets and `env` values), so that text the relay does not control, such as a command's output or a peer's
/// answer, is scrubbed of them before it is stored as a delivery's error or logged.
///
/// One instance is shared by the dispatcher and every sink (``SinkContext/redactor``); sinks ``add(_:)`` what they
/// resolve themselves. Values are only added, never removed, so a secret replaced by a reload stays scrubbed.
/// Values shorter than ``minimumLength`` are not scrubbed: that short a value is no secret, and replacing it would
/// mangle every text (`exit 1`). Neither the description nor the mirror shows a value.
public final class SecretRedactor: Sendable, CustomStringConvertible, CustomReflectable {
    /// What replaces a secret.
    public static let marker = "[redacted]"
    /// The shortest value that is scrubbed, in UTF-8 bytes.
    public static let minimumLength = 4

    /// Longest first, so a secret that contains another is replaced whole.
    private let values = Mutex<[String]>([])

    /// A redactor holding `values`.
    public init(_ values: some Sequence<String> = [String]()) { add(values) }

    /// Adds values to scrub (duplicates and values shorter than ``minimumLength`` are ignored).
    public func add(_ new: some Sequence<String>) {
        let fresh = new.filter { $0.utf8.count >= Self.minimumLength }
        guard !fresh.isEmpty else { return }
        values.withLock { values in
            values = Array(Set(values).union(fresh)).sorted { ($0.utf8.count, $0) > ($1.utf8.count, $1) }
        }
    }

    /// How many values are held.
    public var count: Int { values.withLock { $0.count } }

    /// `text` with every held value replaced by ``marker``.
    ///
    /// With `cutAtStart` (the text is the end of a longer output), a start that is the end of a value, at least
    /// ``minimumLength`` bytes long, is replaced too, so a cut through a secret does not leave its tail.
    public func redact(_ text: String, cutAtStart: Bool = false) -> String {
        let values = self.values.withLock { $0 }
        guard !values.isEmpty, !text.isEmpty else { return text }
        var result = text
        for value in values where result.contains(value) {
            result = result.replacing(value, with: Self.marker)
        }
        if cutAtStart, let cut = Self.longestSecretTail(startingWith: result, among: values) {
            result = Self.marker + result.dropFirst(cut)
        }
        return result
    }

    /// How many characters at the start of `text` are the end of one of `values` (at least ``minimumLength``
    /// bytes), or `nil`.
    private static func longestSecretTail(startingWith text: String, among values: [String]) -> Int? {
        var longest: Int?
        for value in values {
            var tail = Substring(value).dropFirst()
            while tail.utf8.count >= minimumLength {
                if text.hasPrefix(tail) {
                    longest = max(longest ?? 0, tail.count)
                    break
                }
                tail = tail.dropFirst()
            }
        }
        return longest
    }

    /// `SecretRedactor(N values)`, never a value.
    public var description: String { "SecretRedactor(\(count) values)" }

    /// A mirror without the values.
    public var customMirror: Mirror { Mirror(self, children: ["count": count]) }
}
