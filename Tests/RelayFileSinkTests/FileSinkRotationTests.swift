import EngageEvents
import Foundation
import RelayCore
import Testing

@testable import RelayFileSink

extension FileSinkSerialized {
@Suite struct FileSinkRotationTests {
    @Test func sizeRotationUnderConcurrentLoadLosesDuplicatesAndTearsNoLine() async throws {
        let path = Fixture.folder + "/events.jsonl"
        let limit = 4096
        let sink = try Fixture.sink(path, ["rotate": [.words(["4KiB"])]])
        let tasks = 6
        let batchesPerTask = 40
        let delivered = try await withThrowingTaskGroup(of: [String].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var ids: [String] = []
                    for batchIndex in 0..<batchesPerTask {
                        let batch = (0...(batchIndex % 4)).map { Fixture.event(task * 10_000 + batchIndex * 10 + $0) }
                        let outcomes = try await sink.deliver(batch)
                        #expect(outcomes == Array(repeating: .delivered, count: batch.count))
                        ids += batch.map(\.messageId)
                    }
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        try await sink.close()

        let rotated = Fixture.rotatedFiles(of: path)
        #expect(rotated.count >= 10, "expected many rotations, got \(rotated.count)")
        var written: [String] = []
        var longestLine = 0
        for file in rotated + [path] {
            let ids = try Fixture.messageIds(file)
            written += ids
            let text = try String(contentsOfFile: file, encoding: .utf8)
            longestLine = max(longestLine, text.split(separator: "\n").map { $0.utf8.count + 1 }.max() ?? 0)
            #expect(try Fixture.size(file) <= limit, "\(file) is past the limit")
        }
        #expect(written.count == delivered.count, "lost or duplicated lines")
        #expect(Set(written) == Set(delivered))
        // Rotation happens only when the next batch (at most 4 lines) would not fit, never earlier.
        for file in rotated {
            #expect(try Fixture.size(file) > limit - 4 * longestLine, "\(file) was rotated too early")
        }
    }

    @Test func aBatchLargerThanTheLimitGoesWholeIntoOneFile() async throws {
        let path = Fixture.folder + "/events.jsonl"
        let sink = try Fixture.sink(path, ["rotate": [.words(["1KiB"])]])
        _ = try await sink.deliver([Fixture.event(0)])
        _ = try await sink.deliver((1...20).map { Fixture.event($0) })
        _ = try await sink.deliver([Fixture.event(21)])
        try await sink.close()

        let rotated = Fixture.rotatedFiles(of: path)
        try #require(rotated.count == 2)
        #expect(try Fixture.messageIds(rotated[0]) == ["msg_0"])
        #expect(try Fixture.messageIds(rotated[1]) == (1...20).map { "msg_\($0)" })
        #expect(try Fixture.size(rotated[1]) > 1024)
        #expect(try Fixture.messageIds(path) == ["msg_21"])
    }

    @Test func keepDeletesTheOldestRotatedFiles() async throws {
        let path = Fixture.folder + "/events.jsonl"
        // A fixed clock puts every rotation in the same second, so the names differ only by their counter.
        let clock = TestClock(Fixture.utc(2024, 5, 6, 7, 8, 9))
        let sink = try Fixture.sink(path, ["rotate": [.words(["1B"])], "keep": [.integer(3)]], clock: clock)
        for n in 0..<15 { _ = try await sink.deliver([Fixture.event(n)]) }
        try await sink.close()

        let rotated = Fixture.rotatedFiles(of: path)
        #expect(
            rotated.map { ($0 as NSString).lastPathComponent } == [
                "events.20240506-070809-11.jsonl", "events.20240506-070809-12.jsonl", "events.20240506-070809-13.jsonl",
            ])
        #expect(try rotated.map { try Fixture.messageIds($0) } == [["msg_11"], ["msg_12"], ["msg_13"]])
        #expect(try Fixture.messageIds(path) == ["msg_14"])
    }

    @Test(arguments: [
        [SinkOptionValue.words(["daily"])],
        [.words(["1MiB", "daily"])],
        [.words(["1MiB"]), .words(["daily"])],
    ])
    func dailyRotationStartsANewFileOnTheFirstBatchOfANewUTCDay(rotate: [SinkOptionValue]) async throws {
        let path = Fixture.folder + "/events.jsonl"
        let clock = TestClock(Fixture.utc(2024, 3, 1, 23, 59, 58))
        let sink = try Fixture.sink(path, ["rotate": rotate], clock: clock)
        _ = try await sink.deliver([Fixture.event(0)])
        clock.set(Fixture.utc(2024, 3, 1, 23, 59, 59))
        _ = try await sink.deliver([Fixture.event(1)])
        #expect(Fixture.rotatedFiles(of: path).isEmpty)

        clock.set(Fixture.utc(2024, 3, 2, 0, 0, 1))
        _ = try await sink.deliver([Fixture.event(2)])
        clock.set(Fixture.utc(2024, 3, 2, 18, 0, 0))
        _ = try await sink.deliver([Fixture.event(3)])
        try await sink.close()

        let rotated = Fixture.rotatedFiles(of: path)
        #expect(rotated.map { ($0 as NSString).lastPathComponent } == ["events.20240302-000001.jsonl"])
        #expect(try rotated.map { try Fixture.messageIds($0) } == [["msg_0", "msg_1"]])
        #expect(try Fixture.messageIds(path) == ["msg_2", "msg_3"])
    }

    @Test func aFileLastWrittenYesterdayIsRotatedOnTheFirstBatchAfterARestart() async throws {
        let path = Fixture.folder + "/events.jsonl"
        let clock = TestClock(Fixture.utc(2024, 3, 2, 9, 0, 0))
        let first = try Fixture.sink(path, ["rotate": [.words(["daily"])]], clock: clock)
        _ = try await first.deliver([Fixture.event(0)])
        try await first.close()
        try FileManager.default.setAttributes(
            [.modificationDate: Fixture.utc(2024, 3, 1, 22, 0, 0)], ofItemAtPath: path)

        let second = try Fixture.sink(path, ["rotate": [.words(["daily"])]], clock: clock)
        _ = try await second.deliver([Fixture.event(1)])
        try await second.close()

        #expect(try Fixture.rotatedFiles(of: path).map { try Fixture.messageIds($0) } == [["msg_0"]])
        #expect(try Fixture.messageIds(path) == ["msg_1"])
    }

    @Test func anEmptyFileIsNeverRotatedEvenForABigBatchOnANewDay() async throws {
        let path = Fixture.folder + "/events.jsonl"
        let clock = TestClock(Fixture.utc(2024, 3, 1, 12, 0, 0))
        let sink = try Fixture.sink(path, ["rotate": [.words(["1B", "daily"])]], clock: clock)
        clock.set(Fixture.utc(2024, 3, 2, 12, 0, 0))
        _ = try await sink.deliver([Fixture.event(0), Fixture.event(1)])
        try await sink.close()
        #expect(Fixture.rotatedFiles(of: path).isEmpty)
        #expect(try Fixture.messageIds(path) == ["msg_0", "msg_1"])
    }

    @Test func aFileMovedAwayWithoutReopenIsNotRenamedAgainButReplacedByANewOne() async throws {
        let path = Fixture.folder + "/events.jsonl"
        let sink = try Fixture.sink(path, ["rotate": [.words(["1B"])]])
        _ = try await sink.deliver([Fixture.event(0)])
        try FileManager.default.moveItem(atPath: path, toPath: path + ".moved")
        _ = try await sink.deliver([Fixture.event(1)])
        _ = try await sink.deliver([Fixture.event(2)])
        try await sink.close()
        #expect(try Fixture.messageIds(path + ".moved") == ["msg_0"])
        #expect(try Fixture.rotatedFiles(of: path).map { try Fixture.messageIds($0) } == [["msg_1"]])
        #expect(try Fixture.messageIds(path) == ["msg_2"])
    }

    @Test func rotatedNamesAreRecognisedAndOrdered() {
        let names = FileSink.RotatedNames(path: "/var/log/engage/events.jsonl")
        #expect(names.fileName(stamp: "20240302-000001", counter: 0) == "events.20240302-000001.jsonl")
        #expect(names.fileName(stamp: "20240302-000001", counter: 12) == "events.20240302-000001-12.jsonl")
        func order(_ name: String) -> String? { names.order(of: name).map { "\($0.stamp) \($0.counter)" } }
        #expect(order("events.20240302-000001-12.jsonl") == "20240302-000001 12")
        #expect(order("events.20240302-000001.jsonl") == "20240302-000001 0")
        for stranger in [
            "events.jsonl", "events.jsonl.1", "other.20240302-000001.jsonl", "events.2024-03-02.jsonl",
            "events.20240302-000001-.jsonl", "events.20240302-000001-01.jsonl", "events.20240302-000001.json",
        ] {
            #expect(order(stranger) == nil)
        }
        let bare = FileSink.RotatedNames(path: "events")
        #expect(bare.folder == ".")
        #expect(bare.fileName(stamp: "20240302-000001", counter: 0) == "events.20240302-000001")
        #expect(bare.order(of: "events.20240302-000001") != nil)
        #expect(FileSink.stamp(Fixture.utc(2024, 3, 2, 0, 0, 1)) == "20240302-000001")
    }
}
}
