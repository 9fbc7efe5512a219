import EngageEvents
import GRDB
import RelayCore

/// A projected column of the `sqlite` sink: ``ProjectedColumn`` with SQLite's declared types and values.
typealias SQLiteColumn = ProjectedColumn

extension ProjectedColumn.ValueType {
    /// The declared SQL type, which sets the column's affinity; `numeric` is `TEXT`, because SQLite's `NUMERIC`
    /// affinity would round exact decimals to 15 digits.
    var declaredType: String {
        switch self {
        case .text, .numeric: "TEXT"
        case .integer: "INTEGER"
        case .real: "REAL"
        }
    }
}

extension ProjectedColumn {
    /// The value to store for `payload`, or `NULL`.
    func databaseValue(in payload: JSONValue) -> DatabaseValue {
        switch value(in: payload) {
        case nil: .null
        case .text(let text)?: text.databaseValue
        case .integer(let number)?: number.databaseValue
        case .real(let number)?: number.databaseValue
        case .decimal(let text)?: text.databaseValue
        }
    }
}
