import Foundation
import RelayCore
import Testing

@testable import RelayFileSink

extension FileSinkSerialized {
@Suite struct FileSinkOptionsTests {
    @Test(arguments: ["always", "batch", "never"])
    func everyFsyncModeWritesWholeLinesForEveryEvent(mode: String) async throws {
        let path = Fixture.folder + "/events.jsonl"
        let sink = try Fixture.sink(path, ["fsync": [.text(mode)]])
        let big = #"{"eventType":"x","pad":""# + String(repeating: "p", count: 5_000) + #""}"#
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    let batch = (0..<5).map { Fixture.event(task * 10 + $0, body: $0 == 2 ? big : #"{"a":1}"#) }
                    let outcomes = try await sink.deliver(batch)
                    #expect(outcomes == Array(repeating: .delivered, count: 5))
                }
            }
            try await group.waitForAll()
        }
        try await sink.close()
        let ids = try Fixture.messageIds(path)
        #expect(ids.count == 40)
        #expect(Set(ids) == Set((0..<8).flatMap { task in (0..<5).map { "msg_\(task * 10 + $0)" } }))
    }

    @Test(
        .enabled(if: FileManager.default.isWritableFile(atPath: "/dev/full"), "needs /dev/full"),
        arguments: ["always", "batch", "never"])
    func aFullDiskIsAnErrorNotADeliveryInEveryFsyncMode(mode: String) async throws {
        let sink = try Fixture.sink("/dev/full", ["fsync": [.text(mode)]])
        await #expect {
            _ = try await sink.deliver([Fixture.event(0), Fixture.event(1)])
        } throws: { error in
            "\(error)".contains("cannot write to `/dev/full`")
        }
        try await sink.close()
    }

    @Test(arguments: [("0600", 0o600), ("0640", 0o640), ("0664", 0o664), ("644", 0o644)])
    func modeIsAppliedExactlyToEveryFileTheSinkCreates(text: String, bits: Int) async throws {
        let path = Fixture.folder + "/events.jsonl"
        let sink = try Fixture.sink(path, ["mode": [.text(text)], "rotate": [.words(["1B"])]])
        #expect(try Fixture.permissions(path) == bits)
        _ = try await sink.deliver([Fixture.event(0)])
        _ = try await sink.deliver([Fixture.event(1)])
        try await sink.close()
        let rotated = Fixture.rotatedFiles(of: path)
        #expect(rotated.count == 1)
        for file in rotated + [path] { #expect(try Fixture.permissions(file) == bits, "\(file)") }
    }

    @Test func theDefaultModeIs0640AndAnExistingFileKeepsItsOwn() async throws {
        let folder = Fixture.folder
        let fresh = try Fixture.sink(folder + "/fresh.jsonl")
        try await fresh.close()
        #expect(try Fixture.permissions(folder + "/fresh.jsonl") == 0o640)

        let existing = folder + "/existing.jsonl"
        #expect(FileManager.default.createFile(atPath: existing, contents: nil, attributes: [.posixPermissions: 0o604]))
        let sink = try Fixture.sink(existing, ["mode": [.text("0600")]])
        _ = try await sink.deliver([Fixture.event(0)])
        try await sink.close()
        #expect(try Fixture.permissions(existing) == 0o604)
    }

    @Test(arguments: ["abc", "0999", "rw-r-----", "01640", "64", "06400", "", "0o640"])
    func aModeThatIsNotOctalPermissionBitsIsAClearErrorBeforeAnyFileIsCreated(text: String) throws {
        let path = Fixture.folder + "/events.jsonl"
        #expect {
            _ = try Fixture.sink(path, ["mode": [.text(text)]])
        } throws: { error in
            "\(error)".contains("sink `t`: `mode` must be octal permission bits such as 0640")
                && "\(error)".contains("not `\(text)`")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aModeWithoutOwnerWriteIsRefused() throws {
        #expect {
            _ = try Fixture.sink(Fixture.folder + "/events.jsonl", ["mode": [.text("0444")]])
        } throws: { error in
            "\(error)".contains("`mode 0444`") && "\(error)".contains("owner write permission")
        }
    }

    @Test func everyOptionProblemIsReportedAtOnce() throws {
        let options: [String: [SinkOptionValue]] = [
            "rotate": [.words(["100MiB", "weekly"]), .words(["2GiB"])], "mode": [.text("x")],
        ]
        #expect {
            _ = try Fixture.sink(Fixture.folder + "/events.jsonl", options)
        } throws: { error in
            let text = "\(error)"
            // `fsync` is a declared choice: the checker refuses other words, so the sink never sees one.
            return text.contains("`weekly`") && text.contains("one size, not two (`2GiB`)") && text.contains("`x`")
        }
    }

    @Test(arguments: ["0", "0B", "-5MiB", "5 MiB", "5mib"])
    func aRotateSizeMustBeAPositiveSize(word: String) throws {
        #expect {
            _ = try Fixture.sink(Fixture.folder + "/events.jsonl", ["rotate": [.words([word])]])
        } throws: { error in
            "\(error)".contains("`rotate` takes a size such as 100MiB and/or `daily`, not `\(word)`")
        }
    }

    @Test func keepWithoutRotateIsAnError() throws {
        #expect {
            _ = try Fixture.sink(Fixture.folder + "/events.jsonl", ["keep": [.integer(5)]])
        } throws: { error in
            "\(error)".contains("`keep`") && "\(error)".contains("needs `rotate`")
        }
    }

    @Test func declaredDefaultsMeanTheSameAsLeavingOptionsOut() throws {
        let declared = Dictionary(
            uniqueKeysWithValues: FileSink.options.compactMap { option in
                option.defaultValue.map { (option.name, [SinkOptionValue.text($0)]) }
            })
        #expect(Set(declared.keys) == ["fsync", "mode"])
        let path: [String: [SinkOptionValue]] = ["path": [.text("/x/events.jsonl")]]
        let withDefaults = try FileSink.Settings(
            SinkConfiguration(name: "t", options: SinkOptions(declared.merging(path) { $1 })))
        let without = try FileSink.Settings(SinkConfiguration(name: "t", options: SinkOptions(path)))
        #expect(withDefaults.sync == without.sync && without.sync == .batch)
        #expect(withDefaults.mode == without.mode && without.mode == 0o640)
        #expect(without.rotation == nil && without.keep == nil)
    }
}
}
