import Foundation
import RelayConfig
import Testing

@Suite("Source files and locations")
struct SourceFileTests {
    @Test func lineTextReturnsOneBasedLinesWithoutTheirBreaks() {
        let source = SourceFile(path: "x", text: "first\r\nsecond\n\nlast")
        #expect(source.lineText(1) == "first")
        #expect(source.lineText(2) == "second")
        #expect(source.lineText(3) == "")
        #expect(source.lineText(4) == "last")
        #expect(source.lineCount == 4)
    }

    @Test func lineTextOutsideTheFileIsEmpty() {
        let source = SourceFile(path: "x", text: "a\n")
        #expect(source.lineText(0) == "")
        #expect(source.lineText(2) == "")
        #expect(source.lineText(99) == "")
        #expect(source.lineCount == 1)
    }

    @Test func loadReadsTheFileAndDropsAByteOrderMark() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).conf").path
        try "\u{FEFF}listen :8080\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try SourceFile.load(path: path)
        #expect(source.path == path)
        #expect(source.text == "listen :8080\n")
        #expect(ConfigParser.parse(source).diagnostics.isEmpty)
    }

    @Test func loadingAMissingFileThrowsAnErrorNamingIt() {
        let path = "/nonexistent/relay-\(UUID().uuidString).conf"
        #expect(throws: SourceFile.LoadError(path: path, message: "cannot read `\(path)`: no such file")) {
            try SourceFile.load(path: path)
        }
    }

    @Test func loadingADirectoryThrows() {
        let path = FileManager.default.temporaryDirectory.path
        #expect(throws: SourceFile.LoadError(path: path, message: "cannot read `\(path)`: it is a directory")) {
            try SourceFile.load(path: path)
        }
    }

    @Test func loadingInvalidUTF8Throws() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).conf").path
        try Data([0x61, 0xFF, 0x62]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(
            throws: SourceFile.LoadError(path: path, message: "cannot read `\(path)`: the file is not valid UTF-8 text")
        ) {
            try SourceFile.load(path: path)
        }
    }

    @Test func locationsOrderByPositionInTheFile() {
        let early = SourceLocation(line: 1, column: 9, offset: 8)
        let late = SourceLocation(line: 2, column: 1, offset: 10)
        #expect(early < late)
        #expect([late, early].sorted() == [early, late])
    }

    @Test func extendingARangeCoversBoth() {
        let first = range(line: 1, columns: 3..<5, offsets: 2..<4)
        let second = range(line: 1, columns: 8..<9, offsets: 7..<8)
        #expect(first.extended(to: second) == range(line: 1, columns: 3..<9, offsets: 2..<8))
        #expect(second.extended(to: first) == range(line: 1, columns: 3..<9, offsets: 2..<8))
    }
}

@Suite struct SourceFileMaskingTests {
    @Test func maskedRangesBecomeStarsCharacterForCharacterAndLinesStayPut() {
        let source = SourceFile(path: "t.conf", text: "a sëcret b\nnext \"tök\" line\n")
        let first = SourceRange(
            start: SourceLocation(line: 1, column: 3, offset: 2), end: SourceLocation(line: 1, column: 9, offset: 9))
        let second = SourceRange(
            start: SourceLocation(line: 2, column: 6, offset: 17), end: SourceLocation(line: 2, column: 11, offset: 23))
        let masked = source.masking([first, second])
        #expect(masked.lineText(1) == "a ****** b")
        #expect(masked.lineText(2) == "next ***** line")
        #expect(masked.lineCount == source.lineCount && masked.path == "t.conf")
    }
}
