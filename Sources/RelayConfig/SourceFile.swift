import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The text of one configuration file together with the path it is reported under.
public struct SourceFile: Sendable {
    /// The path printed in diagnostics, as given by the caller.
    public let path: String
    /// The whole text; every `SourceLocation.offset` is a UTF-8 offset into it.
    public let text: String
    /// UTF-8 offset of the first byte of each line; index 0 is line 1.
    private let lineStarts: [Int]

    /// Wraps text that is already in memory, e.g. a test fixture or standard input.
    public init(path: String, text: String) {
        self.path = path
        self.text = text
        var starts = [0]
        var offset = 0
        for byte in text.utf8 {
            offset += 1
            if byte == UInt8(ascii: "\n") {
                starts.append(offset)
            }
        }
        self.lineStarts = starts
    }

    /// The largest config file read: 16 MiB.
    public static let maximumSize = 16 << 20

    /// Reads a UTF-8 file from disk (a regular file of at most ``maximumSize`` bytes), dropping a leading byte order
    /// mark.
    public static func load(path: String) throws -> SourceFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError(path: path, message: "cannot read `\(path)`: no such file")
        }
        if isDirectory.boolValue {
            throw LoadError(path: path, message: "cannot read `\(path)`: it is a directory")
        }
        // A FIFO or a device (`/dev/zero`) would block the reader or never end; a huge file would only be a mistake.
        // stat(2) follows symbolic links, so a linked config (a Kubernetes ConfigMap, say) is read as its target.
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw LoadError(path: path, message: "cannot read `\(path)`: it is not a regular file")
        }
        if status.st_size > maximumSize {
            throw LoadError(
                path: path,
                message: "cannot read `\(path)`: \(status.st_size) bytes is more than a config file may hold (16 MiB)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(path: path, message: "cannot read `\(path)`: permission denied or unreadable")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw LoadError(path: path, message: "cannot read `\(path)`: the file is not valid UTF-8 text")
        }
        if text.unicodeScalars.first == "\u{FEFF}" {
            text.unicodeScalars.removeFirst()
        }
        return SourceFile(path: path, text: text)
    }

    /// A copy in which every character inside `ranges` (a secret written into the file) is a `*`, so that printing
    /// its lines, as diagnostics do, cannot show what they held; line breaks, and so lines and columns, stay as they
    /// are.
    public func masking(_ ranges: [SourceRange]) -> SourceFile {
        let spans = ranges.map { $0.start.offset..<$0.end.offset }.filter { !$0.isEmpty }
        guard !spans.isEmpty else { return self }
        var masked = ""
        masked.reserveCapacity(text.utf8.count)
        var offset = 0
        for character in text {
            let inside = !character.isNewline && spans.contains { $0.contains(offset) }
            masked.append(inside ? "*" : character)
            offset += character.utf8.count
        }
        return SourceFile(path: path, text: masked)
    }

    /// The number of lines; a final newline does not start another line.
    public var lineCount: Int {
        lineStarts.count > 1 && lineStarts.last == text.utf8.count ? lineStarts.count - 1 : lineStarts.count
    }

    /// The text of a 1-based line without its line break; empty when the line does not exist.
    public func lineText(_ line: Int) -> Substring {
        guard line >= 1, line <= lineStarts.count else {
            return ""
        }
        let utf8 = text.utf8
        let startOffset = lineStarts[line - 1]
        var endOffset = line < lineStarts.count ? lineStarts[line] - 1 : utf8.count
        let start = utf8.index(utf8.startIndex, offsetBy: startOffset)
        var end = utf8.index(utf8.startIndex, offsetBy: endOffset)
        // Stop before a CR of a CRLF pair, which Swift treats as one Character with the LF.
        if endOffset > startOffset, utf8[utf8.index(before: end)] == UInt8(ascii: "\r") {
            endOffset -= 1
            end = utf8.index(before: end)
        }
        return text[start..<end]
    }
}

extension SourceFile {
    /// Why a configuration file could not be read; the message names the path and the reason.
    public struct LoadError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The path that could not be read.
        public let path: String
        /// A sentence for the operator, e.g. "cannot read `/etc/x.conf`: no such file".
        public let message: String

        /// Creates a load error; `message` should name the path.
        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }

        /// The message.
        public var description: String { message }
    }
}
