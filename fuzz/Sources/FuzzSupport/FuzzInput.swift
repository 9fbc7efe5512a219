import FuzzDriver
#if canImport(Glibc)
    import Glibc
#endif

/// One libFuzzer input, with the few ways the fuzzers here cut it into parts.
public struct FuzzInput {
    /// The raw bytes.
    public let bytes: [UInt8]

    /// Copies the input libFuzzer hands to `LLVMFuzzerTestOneInput`.
    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    /// The bytes as text, invalid UTF-8 replaced by U+FFFD as a decoder of untrusted text would.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The lines before the first empty line (`\n` or `\r\n` line ends), and the bytes after it, as in HTTP.
    public var headerLinesAndBody: (lines: [String], body: [UInt8]) {
        var lines: [String] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\n") else {
                index += 1
                continue
            }
            var end = index
            if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            if end == start { return (lines, Array(bytes[(index + 1)...])) }
            lines.append(String(decoding: bytes[start..<end], as: UTF8.self))
            index += 1
            start = index
        }
        if start < bytes.count { lines.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return (lines, [])
    }

    /// The text cut at `\n` into exactly `count` parts; missing parts are nil, the last part keeps any further lines.
    public func lines(_ count: Int) -> [String?] {
        var parts = text.split(separator: "\n", maxSplits: count - 1, omittingEmptySubsequences: false).map {
            Optional(String($0))
        }
        while parts.count < count { parts.append(nil) }
        return parts
    }
}

/// Stops the fuzzer with `message` when a property that must hold for every input does not; libFuzzer saves the
/// input as a crash.
public func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}

/// Runs libFuzzer on `testOneInput` with the process's arguments, and exits with its status.
///
/// SwiftPM links an executable target's entry point as `main`, which takes the place of libFuzzer's own `main`; this
/// is what libFuzzer's `main` would do.
public func runFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}
