import Foundation

/// The JSON text columns: metric maps and node lists, compact and with sorted keys.
enum JSONColumn {
    static func encode(metrics: [String: Double], field: String) throws -> String {
        for (name, value) in metrics where !value.isFinite {
            throw StoreError.invalidValue(field: "\(field) '\(name)'", reason: "\(value) is not finite")
        }
        return try text(metrics)
    }

    static func encode(nodes: [UInt32]) throws -> String { try text(nodes) }

    static func metrics(_ text: String) throws -> [String: Double] {
        try JSONDecoder().decode([String: Double].self, from: Data(text.utf8))
    }

    static func nodes(_ text: String) throws -> [UInt32] {
        try JSONDecoder().decode([UInt32].self, from: Data(text.utf8))
    }

    private static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
