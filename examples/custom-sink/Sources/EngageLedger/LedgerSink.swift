import CoreMetrics
import EngageEvents
import Foundation
import Logging
import RelayCore
import Synchronization

/// Appends `point.balance.updated` events as CSV rows, one file per tenant (`DIRECTORY/TENANT.csv`).
///
/// A new (or empty) file starts with a header line naming the columns. Each batch is one write of whole lines per
/// tenant file and one `fsync`; a failed write is cut back, so no torn row remains and the engine's retry writes
/// each row once. Delivery is at-least-once: after a crash a row can appear twice; deduplicate on `event-id`.
///
/// Events of any other type are refused for good (`.failed`, a dead letter) rather than skipped: a ledger that
/// silently swallowed them would hide a route that sends the wrong events here. So are events without a tenant, a
/// tenant that is not a plain file name, or a payload without a numeric `balance`.
public final class LedgerSink: Sink {
    /// Registered as `ledger`.
    public static let kind = "ledger"
    /// One line for `ledger-relay sinks`.
    public static let summary = "append point.balance.updated events as CSV rows, one file per tenant"
    /// The options of a `ledger` block, as typed keys: a misspelt key is a compile error.
    public enum Key {
        /// `directory PATH`.
        public static let directory = SinkOptionKey.path(
            "directory", required: true, doc: "folder for the ledger files, one TENANT.csv per tenant; created if missing")
        /// `column NAME`, one line per column.
        public static let column = SinkOptionKey.repeatedChoice(
            "column", of: Column.self,
            doc: "a column of each row, in order, one line per column (default: "
                + Column.defaults.map(\.rawValue).joined(separator: ", ") + ")")
        /// `header true|false`.
        public static let header = SinkOptionKey.boolean(
            "header", default: true, doc: "start each new file with a line of column names")
    }

    /// The options of a `ledger` block.
    public static let options: [SinkOption] = [Key.directory.option, Key.column.option, Key.header.option]

    /// Up to 64 events per batch: one write and one `fsync` per tenant file.
    public static let defaultBatchSize = 64

    /// The folder that holds the tenant files.
    public let directory: URL
    /// The columns of each row, in order.
    public let columns: [Column]
    /// Whether new files start with a header line.
    public let writesHeader: Bool

    private let logger: Logger
    private let clock: RelayClock
    private let linesWritten: Counter
    /// `write` and `fsync` block; they run here so a slow disk never holds one of the few cooperative threads, and
    /// one batch at a time, so two batches in flight never both write the header of a new file.
    private let io = DispatchQueue(label: "engage-ledger.io")
    private let isClosed = Mutex(false)

    /// Reads the options and creates `directory` if needed.
    public init(configuration: SinkConfiguration, context: SinkContext) throws {
        let options = configuration.options
        let directory = try options.required(Key.directory, sink: configuration.name)
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        let named = options[Key.column] ?? []
        columns = named.isEmpty ? Column.defaults : named
        writesHeader = options[Key.header] ?? true
        logger = context.logger
        clock = context.clock
        linesWritten = Counter(
            label: "engage_relay_ledger_lines_total", dimensions: [("sink", configuration.name)],
            factory: context.metrics)
        do {
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        } catch {
            throw SinkError("sink `\(configuration.name)`: cannot create `\(directory)`: \(error.localizedDescription)")
        }
    }

    /// Writes the rows of each tenant's events to that tenant's file; a tenant whose file cannot be written is
    /// retried without holding back the others.
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome](repeating: .delivered, count: batch.count)
        var rowsByTenant: [String: (indices: [Int], text: String)] = [:]
        let writtenAt = clock.now()
        for (index, event) in batch.enumerated() {
            switch row(for: event, writtenAt: writtenAt) {
            case .success(let (tenant, line)):
                rowsByTenant[tenant, default: ([], "")].indices.append(index)
                rowsByTenant[tenant, default: ([], "")].text += line
            case .failure(let refusal):
                outcomes[index] = .failed(reason: refusal.reason)
            }
        }
        guard !isClosed.withLock({ $0 }) else { throw SinkError("the ledger in `\(directory.path)` is closed") }
        let texts = rowsByTenant.mapValues(\.text)
        let failures = await withCheckedContinuation { continuation in
            io.async { continuation.resume(returning: self.append(texts)) }
        }
        for (tenant, rows) in rowsByTenant {
            if let failure = failures[tenant] {
                for index in rows.indices { outcomes[index] = .retry(reason: failure) }
            } else {
                linesWritten.increment(by: rows.indices.count)
            }
        }
        return outcomes
    }

    /// Refuses further batches; nothing stays open between batches.
    public func close() async throws {
        isClosed.withLock { $0 = true }
    }

    /// Why an event cannot go into the ledger at all.
    struct Refusal: Error {
        var reason: String
    }

    /// The tenant and CSV line (with its newline) for one event, or why it has none.
    func row(for event: EngageEvent, writtenAt: Date) -> Result<(tenant: String, line: String), Refusal> {
        guard case .pointBalanceUpdated(let update) = event.typedPayload else {
            return .failure(
                Refusal(
                    reason: "the ledger takes point.balance.updated events, not \(event.type.rawValue); "
                        + "route only point.balance.updated to this sink"))
        }
        guard let tenant = event.tenant else { return .failure(Refusal(reason: "the event names no tenant")) }
        guard Self.isPlainFileName(tenant) else {
            return .failure(Refusal(reason: "tenant `\(tenant.prefix(64))` is not usable as a file name"))
        }
        guard update.balance != nil else { return .failure(Refusal(reason: "the payload has no numeric balance")) }
        let fields = columns.map { $0.value(of: event, update: update, writtenAt: writtenAt) }
        return .success((tenant, Self.csvLine(fields)))
    }

    /// Appends each tenant's rows to its file and returns why it failed for the tenants whose file could not be
    /// written.
    func append(_ textByTenant: [String: String]) -> [String: String] {
        var failures: [String: String] = [:]
        for (tenant, text) in textByTenant {
            do {
                try append(text, toFileOf: tenant)
            } catch {
                failures[tenant] = "\(error)"
            }
        }
        return failures
    }

    /// Appends `text` to the tenant's file, after a header line when the file is new or empty, and syncs it.
    func append(_ text: String, toFileOf tenant: String) throws {
        let file = directory.appendingPathComponent(tenant + ".csv")
        let created = !FileManager.default.fileExists(atPath: file.path)
        if created {
            guard
                FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o640])
            else { throw SinkError("cannot create `\(file.path)`") }
            logger.debug("ledger file created", metadata: ["relay.ledger.file": .string(file.lastPathComponent)])
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        let lines = (size == 0 && writesHeader ? Self.csvLine(columns.map(\.rawValue)) : "") + text
        do {
            try handle.write(contentsOf: Data(lines.utf8))
            try handle.synchronize()
        } catch {
            // Whether any of it reached the disk is unknown; without it, the retry writes each row exactly once.
            try? handle.truncate(atOffset: size)
            throw SinkError("cannot append to `\(file.path)`: \(error.localizedDescription)")
        }
        if created { try Self.syncFolder(directory) }
    }

    /// One CSV line (RFC 4180 quoting, LF ending): a field with a comma, quote or line break is quoted, and its
    /// quotes doubled.
    static func csvLine(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",") + "\n"
    }

    /// Letters, digits, `-`, `_` and `.`, not starting with a dot: nothing that could leave the directory.
    static func isPlainFileName(_ name: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        return !name.isEmpty && name.count <= 128 && !name.hasPrefix(".") && name.allSatisfy(allowed.contains)
    }
}
