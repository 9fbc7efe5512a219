import EngageEvents
import Foundation
import Logging
import RelayCore
import Synchronization
import Testing

@testable import RelayFileSink

/// Builders and readers shared by the file sink suites.
enum Fixture {
    /// A sink on `path` with extra options and, when given, a fake clock.
    static func sink(
        _ path: String, _ options: [String: [SinkOptionValue]] = [:], clock: TestClock? = nil
    ) throws -> FileSink {
        let configuration = SinkConfiguration(
            name: "t", options: SinkOptions(options.merging(["path": [.text(path)]]) { _, new in new }))
        let context = SinkContext(logger: Logger(label: "test"), clock: clock.map { clock in RelayClock { clock.now } } ?? .system)
        return try FileSink(configuration: configuration, context: context)
    }

    static func event(_ n: Int, body: String = #"{"eventType":"contact.created","id":"x"}"#) -> EngageEvent {
        EngageEvent(
            id: "e\(n)", messageId: "msg_\(n)", type: .contactCreated, tenant: n.isMultiple(of: 2) ? "se" : nil,
            receivedAt: Date(timeIntervalSince1970: 1_700_000_000), isEncrypted: false, payload: .null,
            body: Array(body.utf8))
    }

    /// A fresh folder path under the temporary directory (not created).
    static var folder: String { FileManager.default.temporaryDirectory.appendingPathComponent("fs-\(UUID())").path }

    /// Every line of the file as a JSON object; fails the test on a torn line or a missing final newline.
    static func lines(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.isEmpty || text.hasSuffix("\n"), "\(path) ends in a torn line")
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "torn line: \($0)")
        }
    }

    /// The message ids written to the file, in file order.
    static func messageIds(_ path: String) throws -> [String] {
        try lines(path).compactMap { $0["messageId"] as? String }
    }

    /// The rotated files next to `path`, oldest first.
    static func rotatedFiles(of path: String) -> [String] {
        let names = FileSink.RotatedNames(path: path)
        return names.existing().map { names.path(of: $0.fileName) }
    }

    /// The permission bits of a file.
    static func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int) & 0o777
    }

    /// The size of a file in bytes.
    static func size(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.size] as? Int)
    }

    /// A UTC date from its parts.
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(
            from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
    }
}

/// A clock the test sets by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func set(_ date: Date) { current.withLock { $0 = date } }
}

/// The file sink suites run one at a time, as they did when a reopen reached every file sink of the process; they
/// share little else, but their rotation tests read real modification times.
@Suite(.serialized) enum FileSinkSerialized {}
