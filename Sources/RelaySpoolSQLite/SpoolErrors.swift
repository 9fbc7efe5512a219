import GRDB
import RelayCore

/// Makes the spool's errors, naming its file and never event content.
struct SpoolErrors: Sendable {
    var path: String

    var closed: SpoolError { SpoolError(.closed, "the spool `\(path)` is closed") }

    func cannotOpen(_ reason: String) -> SpoolError {
        SpoolError(.cannotOpen, "cannot open spool `\(path)`: \(reason)")
    }

    /// A failure of a read or write; once the spool is closed every failure is reported as `closed`.
    func storage(_ error: any Error, isClosed: Bool) -> SpoolError {
        if let error = error as? SpoolError { return error }
        if isClosed { return closed }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_FULL {
            return SpoolError(.full, "spool `\(path)` is full (max-size or the disk): \(Self.reason(error))")
        }
        return SpoolError(.storageFailed, "spool `\(path)`: \(Self.reason(error))")
    }

    /// SQLite's own words, without the SQL or its arguments (which may hold event content).
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as DatabaseError:
            "SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "\(error.resultCode)")"
        case is CancellationError:
            "the operation was cancelled"
        default:
            "\(error)"
        }
    }
}
