import Foundation
import GRDB

/// Checked reads of the state database's columns: every value the store reads from a row goes through here,
/// so that a missing, NULL or mistyped column (a damaged or hand-edited `state.sqlite`) is a
/// `StoreError.damaged` naming the file, table and column, never a trap in GRDB's non-optional subscript.
extension Row {
    /// The value of `column` in a row of `table`, decoded as `Value` (an optional `Value` accepts NULL);
    /// throws `StoreError.damaged` when the column is missing, NULL where a value is required, or holds
    /// a value of another type or out of range.
    func value<Value: DatabaseValueConvertible>(
        _ column: String, of table: String, in db: Database
    ) throws -> Value {
        do {
            return try decode(Value.self, forColumn: column)
        } catch {
            let found = hasColumn(column) ? "holds \(describe(self[column] as DatabaseValue))" : "is missing"
            throw StoreError.damaged(
                path: db.statePath, detail: "column \(table).\(column) \(found), not a \(Value.self)")
        }
    }

    /// The JSON text of `column` in a row of `table`, parsed by `parse`; throws `StoreError.damaged` when
    /// the column is not text or does not parse.
    func json<Value>(
        _ column: String, of table: String, in db: Database, _ parse: (String) throws -> Value
    ) throws -> Value {
        let text: String = try value(column, of: table, in: db)
        do {
            return try parse(text)
        } catch {
            throw StoreError.damaged(path: db.statePath, detail: "column \(table).\(column) holds invalid JSON")
        }
    }

    private func describe(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: "NULL"
        case .int64(let int): "the integer \(int)"
        case .double(let double): "the number \(double)"
        case .string(let string): "the text '\(string.prefix(40))'"
        case .blob(let data): "a blob of \(data.count) bytes"
        }
    }
}

extension Database {
    /// The database file's path: `StateStore` and `StateReader` label their connections with it.
    var statePath: String { configuration.label ?? "state.sqlite" }
}

extension StoreError {
    /// Runs `body`, turning SQLite's and GRDB's signs of a damaged file (`SQLITE_CORRUPT`, `SQLITE_NOTADB`, a
    /// row that does not decode) into `StoreError.damaged` naming `path`.
    static func mappingDamage<T>(path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError
            where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode)
        {
            throw StoreError.damaged(path: path, detail: error.message ?? "\(error.resultCode)")
        } catch let error as RowDecodingError {
            throw StoreError.damaged(path: path, detail: "\(error)")
        }
    }
}
