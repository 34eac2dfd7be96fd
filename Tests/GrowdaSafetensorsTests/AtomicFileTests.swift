import Foundation
import GrowdaSafetensors
import Testing

@Suite struct AtomicFileTests {
    @Test func writesAndReplacesLeavingNoTemporaryFile() throws {
        let folder = try makeTemporaryFolder()
        let path = folder + "/state.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
        try AtomicFile.write(Array(repeating: 9, count: 100_000), to: path)
        #expect(FileManager.default.contents(atPath: path) == Data(repeating: 9, count: 100_000))
        try AtomicFile.write([], to: path)
        #expect(FileManager.default.contents(atPath: path) == Data())
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["state.bin"])
    }

    @Test func appliesPermissions() throws {
        let folder = try makeTemporaryFolder()
        let path = folder + "/node.bundle"
        try AtomicFile.write([42], to: path, permissions: 0o600)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func relativePathsWriteInTheCurrentFolder() throws {
        let folder = try makeTemporaryFolder()
        let previous = FileManager.default.currentDirectoryPath
        #expect(FileManager.default.changeCurrentDirectoryPath(folder))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try AtomicFile.write([5], to: "relative.bin")
        #expect(FileManager.default.contents(atPath: folder + "/relative.bin") == Data([5]))
    }

    @Test func failuresNameThePathAndLeaveNothingBehind() throws {
        let folder = try makeTemporaryFolder()
        let inMissingFolder = folder + "/absent/model.safetensors"
        do {
            try AtomicFile.write([1], to: inMissingFolder)
            Issue.record("wrote into a missing folder")
        } catch let error as FileError {
            #expect(error.code == ENOENT)
            #expect(error.description.contains(folder + "/absent/.model.safetensors.tmp-"))
        }
        // Renaming over a non-empty folder fails after the temporary file was written: it is removed.
        let blocker = folder + "/blocker"
        try FileManager.default.createDirectory(atPath: blocker + "/inside", withIntermediateDirectories: true)
        do {
            try AtomicFile.write([1], to: blocker)
            Issue.record("replaced a folder")
        } catch let error as FileError {
            #expect(error.path == blocker)
            #expect(error.operation.hasPrefix("rename"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["blocker"])
        #expect(throws: FileError.self) { try AtomicFile.write([1], to: folder + "/") }
    }
}

@Suite struct InPlaceFileTests {
    @Test func createsOverwritesAndTruncatesInPlace() throws {
        let folder = try makeTemporaryFolder()
        let path = folder + "/buffer-0.safetensors"
        for durable in [true, false] {
            try InPlaceFile.write(Array(repeating: 7, count: 100_000), to: path, durable: durable)
            #expect(FileManager.default.contents(atPath: path) == Data(repeating: 7, count: 100_000))
            let inode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
            try InPlaceFile.write([1, 2, 3], to: path, durable: durable)  // shorter: the rest is cut off
            #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int == inode)
            try FileManager.default.removeItem(atPath: path)
        }
        #expect(throws: FileError.self) { try InPlaceFile.write([1], to: folder + "/missing/x", durable: true) }
    }
}
