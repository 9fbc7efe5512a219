import EngageEvents
import Foundation
import RelayTesting

/// Files in this target's Fixtures folder and the package's own folder.
enum Fixtures {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// A fresh, empty folder under the temporary directory.
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// `point.balance.updated` events with distinct ids, alternating between tenants `t0` and `t1`.
    static func balanceEvents(count: Int) -> [EngageEvent] {
        (0..<count).map { index in
            let id = UUID().uuidString.lowercased()
            let body =
                #"{"eventType":"point.balance.updated","id":"\#(id)","isEncrypted":false,"payload":{"contactId":"c-\#(index)","balance":\#(1000 + index).25,"accountId":\#(index),"definitionId":1,"balanceExpires":"2024-12-31T23:59:59.999+01:00"},"tenant":"t\#(index % 2)"}"#
            return try! EngageEvent(
                decoding: Array(body.utf8), messageId: "msg_ledger_\(index)_\(id.prefix(8))", receivedAt: Date())
        }
    }

    /// An event of another type, for refusals.
    static func event(type: String, tenant: String? = "t0", payload: String = #"{"contactId":"c-1"}"#) -> EngageEvent {
        let tenantJSON = tenant.map { #""\#($0)""# } ?? "null"
        let body =
            #"{"eventType":"\#(type)","id":"\#(UUID())","isEncrypted":false,"payload":\#(payload),"tenant":\#(tenantJSON)}"#
        return try! EngageEvent(decoding: Array(body.utf8), messageId: "msg_\(UUID())", receivedAt: Date())
    }
}

/// Reads ledger files back: lines, and fields of lines without quoted fields.
enum Ledger {
    /// The lines of a file; fails on a torn last line.
    static func lines(_ file: URL) throws -> [String] {
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        let text = try String(contentsOf: file, encoding: .utf8)
        guard text.isEmpty || text.hasSuffix("\n") else {
            throw TestFailure("\(file.lastPathComponent) ends in a torn line")
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Every row as a dictionary keyed by the header's column names.
    static func rows(_ file: URL) throws -> [[String: String]] {
        let lines = try lines(file)
        guard let header = lines.first else { return [] }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(
                uniqueKeysWithValues: zip(
                    names, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
    }
}
