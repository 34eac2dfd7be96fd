import Foundation
import GRDB
import GrowdaTestKit
import Testing

@testable import GrowdaStore

/// A damaged or hand-edited `state.sqlite` gives a `StoreError.damaged` naming the file, for the aggregator's
/// `StateStore` and the tools' `StateReader` alike, never a crash.
@Suite struct DamagedStateTests {
    /// A state folder with a version, a pending update, a refusal and a heartbeat, closed.
    private func makeState() throws -> StateFolder {
        let folder = try StateFolder()
        let store = try folder.open()
        let model = try StoreFixtures.tinyModel()
        try store.commitVersion(0, model: model)
        try StoreFixtures.record(store, StoreFixtures.update(node: 5, seq: 1))
        try store.recordRefusal(reason: "stale", node: 5, settling: 2)
        try store.recordHeartbeat(Heartbeat(node: 5, at: StoreFixtures.epoch, state: "idle", versionHeld: 0))
        try store.close()
        // Fold the write-ahead log into the file itself, so that damage to the file is damage to the state.
        let queue = try DatabaseQueue(path: database(folder))
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }
        try queue.close()
        return folder
    }

    private func database(_ folder: StateFolder) -> String { "\(folder.path)/state.sqlite" }

    /// Runs `sql` on the folder's database, as an operator with the sqlite3 tool would.
    private func handEdit(_ folder: StateFolder, _ sql: String) throws {
        let queue = try DatabaseQueue(path: database(folder))
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
    }

    /// Expects `body` to throw `StoreError.damaged` naming the folder's database and containing `detail`.
    private func expectDamaged(
        _ folder: StateFolder, mentioning detail: String = "", sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        let error = #expect(throws: StoreError.self, sourceLocation: sourceLocation) { try body() }
        guard case .damaged(let path, let found)? = error else {
            Issue.record("expected StoreError.damaged, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(path == database(folder), sourceLocation: sourceLocation)
        #expect(detail.isEmpty || found.contains(detail), "\(found)", sourceLocation: sourceLocation)
        #expect(error?.description.contains("restore the state folder from a backup") == true)
    }

    private func overwrite(_ path: String, from start: Int, count: Int) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: UInt64(start))
        var generator = SystemRandomNumberGenerator()
        try handle.write(contentsOf: Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        try handle.close()
    }

    @Test func aTruncatedDatabaseIsReportedOnOpening() throws {
        let folder = try makeState()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: database(folder))[.size] as? Int)
        let handle = try #require(FileHandle(forWritingAtPath: database(folder)))
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()

        expectDamaged(folder) { _ = try StateReader(folder: folder.path) }
        expectDamaged(folder) { _ = try folder.open() }
    }

    @Test func aDatabaseOverwrittenInTheMiddleIsReportedOnOpening() throws {
        let folder = try makeState()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: database(folder))[.size] as? Int)
        try overwrite(database(folder), from: size / 4, count: size / 2)

        expectDamaged(folder) { _ = try StateReader(folder: folder.path) }
        expectDamaged(folder) { _ = try folder.open() }
    }

    @Test func aFileOfRandomBytesIsReportedOnOpening() throws {
        let folder = try StateFolder()
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: database(folder), contents: Data(count: 8192)))
        try overwrite(database(folder), from: 0, count: 8192)

        expectDamaged(folder) { _ = try StateReader(folder: folder.path) }
        expectDamaged(folder) { _ = try folder.open() }
    }

    @Test func textWhereAnIntegerIsReadIsReported() throws {
        let folder = try makeState()
        try handEdit(folder, "UPDATE nodes SET accepted_count = 'many'")

        let reader = try StateReader(folder: folder.path)
        expectDamaged(folder, mentioning: "nodes.accepted_count") { _ = try reader.nodes() }
        let store = try folder.open()
        expectDamaged(folder, mentioning: "nodes.accepted_count") { _ = try store.nodeSnapshot() }
    }

    @Test func aNegativeSequenceNumberIsReported() throws {
        let folder = try makeState()
        try handEdit(folder, "UPDATE nodes SET settled_seq = -1")

        let reader = try StateReader(folder: folder.path)
        expectDamaged(folder, mentioning: "nodes.settled_seq") { _ = try reader.nodes() }
        let store = try folder.open()
        expectDamaged(folder, mentioning: "nodes.settled_seq") { _ = try store.nodeSnapshot() }
    }

    @Test func aMissingColumnIsReported() throws {
        let folder = try makeState()
        try handEdit(folder, "ALTER TABLE nodes DROP COLUMN refused_count")

        let reader = try StateReader(folder: folder.path)
        expectDamaged(folder, mentioning: "nodes.refused_count is missing") { _ = try reader.nodes() }
        let store = try folder.open()
        expectDamaged(folder, mentioning: "nodes.refused_count is missing") { _ = try store.nodeSnapshot() }
    }

    @Test func aBadDateAndBadJSONInTheHistoryAreReported() throws {
        let folder = try makeState()
        try handEdit(folder, "UPDATE versions SET created_at = 'yesterday'")
        let reader = try StateReader(folder: folder.path)
        expectDamaged(folder, mentioning: "versions.created_at") { _ = try reader.history() }

        try handEdit(folder, "UPDATE versions SET created_at = '2026-01-01 00:00:00.000', train_metrics = '{'")
        expectDamaged(folder, mentioning: "versions.train_metrics") { _ = try reader.history() }
        expectDamaged(folder, mentioning: "versions.train_metrics") { _ = try folder.open() }
    }

    @Test func aTextCurrentVersionIsReportedOnOpening() throws {
        let folder = try makeState()
        try handEdit(folder, "UPDATE federation SET current_version = 'zero'")

        let reader = try StateReader(folder: folder.path)
        expectDamaged(folder, mentioning: "federation.current_version") { _ = try reader.federation() }
        expectDamaged(folder, mentioning: "federation.current_version") { _ = try folder.open() }
    }
}
