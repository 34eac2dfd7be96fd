import ArgumentParser
import Foundation
import GrowdaData

/// `growda data`: make synthetic image folders and split a folder among simulated hospitals.
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Make and prepare image data: synthetic chest X-rays, per-hospital splits, held-out sets.",
        subcommands: [Synth.self, Split.self, Holdout.self]
    )
}

extension DataCommand {
    /// `growda data synth`: writes synthetic chest X-rays as `OUT/<class>/NNNNN.png`.
    struct Synth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write synthetic chest X-rays (bacterial, normal, viral) as OUT/<class>/NNNNN.png.",
            discussion: "The same --seed and --size always give the same images."
        )

        @Option(help: ArgumentHelp("Folder to write the class folders into (created if missing).", valueName: "dir"))
        var out: String

        @Option(parsing: .unconditional, help: "Images per class.")
        var perClass: Int = 500

        @Option(
            parsing: .unconditional, help: "Image side in pixels, \(Synth.sizeRange) (28 for small28, 128 for xray128)."
        )
        var size: Int = 28

        @Option(parsing: .unconditional, help: "Random seed: the same seed and size give the same images.")
        var seed: UInt64 = 1

        @Flag(help: "Print the summary as JSON.")
        var json = false

        /// The supported sizes as text, e.g. "16–512".
        static let sizeRange = "\(SyntheticXray.sizes.lowerBound)–\(SyntheticXray.sizes.upperBound)"

        func validate() throws {
            guard perClass >= 1 else { throw ValidationError("--per-class must be at least 1, got \(perClass).") }
            guard perClass <= 1_000_000 else {
                throw ValidationError("--per-class \(perClass) is more than the 1,000,000 supported.")
            }
            guard SyntheticXray.sizes.contains(size) else {
                throw ValidationError("--size must be in \(Self.sizeRange), got \(size).")
            }
            guard !out.isEmpty else { throw ValidationError("--out must name a folder.") }
        }

        func run() async throws {
            let total = perClass * SyntheticXray.classNames.count
            let progress = Terminal.ProgressLine(enabled: !json, steps: true)
            let summary = try SyntheticXray.write(
                perClass: perClass, size: size, seed: seed, to: out,
                progress: { done, _ in
                    progress.update(fraction: Double(done) / Double(total), "writing images: \(done)/\(total)")
                })
            progress.finish()
            if json {
                try Terminal.printJSON(summary)
            } else {
                let counts = zip(SyntheticXray.classNames, summary.perClass).map { "\($0) \($1)" }
                print("wrote \(total) images (\(counts.joined(separator: ", "))), \(size)×\(size), seed \(seed)")
                print("to \(out)/<class>/NNNNN.png, \(summary.bytes / 1024) KiB")
            }
        }
    }

    /// `growda data split`: deals a class-folder tree out to `OUT/hospital-NN/<class>/…`.
    struct Split: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split FROM/<class>/ (PNG or DICOM images) among hospitals as OUT/hospital-NN/<class>/.",
            discussion: """
                Files are hard-linked when possible, else copied. Every hospital gets every class folder \
                (possibly empty), so labels line up across hospitals. Use --iid for equal class mixes or \
                --alpha for Dirichlet label skew (smaller alpha, more skew).
                """
        )

        @Option(help: ArgumentHelp("Folder to split, laid out as <class>/*.png or *.dcm.", valueName: "dir"))
        var from: String

        @Option(help: ArgumentHelp("New or empty folder to write hospital-NN/<class>/ into.", valueName: "dir"))
        var out: String

        @Option(parsing: .unconditional, help: "Number of hospitals.")
        var hospitals: Int

        @Flag(help: "Give every hospital about the same number of each class.")
        var iid = false

        @Option(
            parsing: .unconditional,
            help: "Dirichlet concentration for label skew, e.g. 0.5 (small: skewed, large: near IID).")
        var alpha: Double?

        @Option(parsing: .unconditional, help: "Random seed: the same seed gives the same split.")
        var seed: UInt64 = 1

        @Option(
            parsing: .unconditional,
            help: "Smallest number of images per hospital (default: min(10, images / (2 × hospitals))).")
        var minPerHospital: Int?

        @Flag(help: "Copy files instead of hard-linking them.")
        var copy = false

        @Flag(help: "Print the per-hospital counts as JSON.")
        var json = false

        /// The split mode the flags ask for.
        var mode: SplitMode { alpha.map { .dirichlet(alpha: $0) } ?? .iid }

        func validate() throws {
            switch (iid, alpha) {
            case (true, .some):
                throw ValidationError("Give either --iid or --alpha, not both.")
            case (false, nil):
                throw ValidationError("Give --iid for an even split or --alpha A (e.g. 0.5) for label skew.")
            case (false, .some(let alpha)) where !(alpha > 0 && alpha.isFinite):
                throw ValidationError("--alpha must be a positive number, got \(alpha).")
            default:
                break
            }
            guard (1...999).contains(hospitals) else {
                throw ValidationError("--hospitals must be between 1 and 999, got \(hospitals).")
            }
            if let minPerHospital, minPerHospital < 1 {
                throw ValidationError("--min-per-hospital must be at least 1, got \(minPerHospital).")
            }
            guard standardized(from) != standardized(out) else {
                throw ValidationError("--out must differ from --from.")
            }
        }

        func run() async throws {
            let catalog = try ImageCatalog.scanFolder(from)
            let parts = try HospitalSplit.split(
                catalog, hospitals: hospitals, mode: mode, seed: seed, minimumPerHospital: minPerHospital)
            var placer = FilePlacer(copy: copy)
            try placer.prepareEmptyFolder(out)

            let names = (1...hospitals).map { String(format: "hospital-%0\(max(2, String(hospitals).count))d", $0) }
            let progress = Terminal.ProgressLine(enabled: !json, steps: true)
            var done = 0
            for (hospital, indices) in zip(names, parts) {
                for name in catalog.classNames {
                    try placer.makeFolder(out + "/" + hospital + "/" + name)
                }
                for i in indices {
                    let entry = catalog.entries[i]
                    try placer.put(entry.path, into: "\(out)/\(hospital)/\(catalog.classNames[Int(entry.label)])")
                    done += 1
                    progress.update(
                        fraction: Double(done) / Double(catalog.entries.count),
                        "placing files: \(done)/\(catalog.entries.count)")
                }
            }
            progress.finish()

            let rows = zip(names, parts).map { name, indices in
                HospitalCounts(
                    name: name, classCounts: catalog.subset(indices).classCounts, total: indices.count)
            }
            let report = SplitReport(
                from: from, out: out, mode: mode.description, seed: seed, classes: catalog.classNames,
                hospitals: rows, linked: placer.linked, copied: placer.copied)
            if json {
                try Terminal.printJSON(report)
            } else {
                print(report.table())
                print("\(placer.linked) files hard-linked, \(placer.copied) copied into \(out)")
            }
        }

        private func standardized(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.path
        }
    }
}

extension DataCommand {
    /// Puts files of a split into a new folder tree: hard links where possible, else copies.
    struct FilePlacer {
        /// Copy instead of linking.
        var copy: Bool
        /// Files linked and copied so far.
        var linked = 0, copied = 0

        /// Creates `path` if missing; refuses a non-empty folder so splits never mix.
        func prepareEmptyFolder(_ path: String) throws {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
                guard isFolder.boolValue else {
                    throw CLIError("\(path) is a file; give --out a new or empty folder")
                }
                let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                guard contents.isEmpty else {
                    throw CLIError("\(path) is not empty; give --out a new or empty folder, or remove it")
                }
            }
            try makeFolder(path)
        }

        func makeFolder(_ path: String) throws {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw CLIError("cannot create \(path): \(error.localizedDescription); check permissions")
            }
        }

        /// Hard-links `source` at `target` unless --copy; copies when linking fails. True when linked.
        func place(_ source: String, at target: String) throws -> Bool {
            if !copy && link(source, target) == 0 { return true }
            do {
                try FileManager.default.copyItem(atPath: source, toPath: target)
            } catch {
                throw CLIError("cannot copy \(source) to \(target): \(error.localizedDescription)")
            }
            return false
        }

        /// Places `source` under `folder` with its own file name, counting links and copies.
        mutating func put(_ source: String, into folder: String) throws {
            let target = folder + "/" + URL(fileURLWithPath: source).lastPathComponent
            if try place(source, at: target) { linked += 1 } else { copied += 1 }
        }
    }
}

extension DataCommand {
    /// One hospital's row of `growda data split`'s report.
    struct HospitalCounts: Codable, Equatable {
        var name: String
        var classCounts: [Int]
        var total: Int
    }

    /// What `growda data split` did, for the table and `--json`.
    struct SplitReport: Codable, Equatable {
        var from: String
        var out: String
        var mode: String
        var seed: UInt64
        var classes: [String]
        var hospitals: [HospitalCounts]
        var linked: Int
        var copied: Int

        /// Per-hospital class counts as an aligned text table with a total row.
        func table() -> String {
            let header = ["hospital"] + classes + ["total"]
            var rows = hospitals.map { [$0.name] + $0.classCounts.map(String.init) + [String($0.total)] }
            let columnTotals = classes.indices.map { c in hospitals.reduce(0) { $0 + $1.classCounts[c] } }
            rows.append(["all"] + columnTotals.map(String.init) + [String(hospitals.reduce(0) { $0 + $1.total })])
            let widths = header.indices.map { c in max(header[c].count, rows.map { $0[c].count }.max() ?? 0) }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { c, cell in
                    let pad = String(repeating: " ", count: widths[c] - cell.count)
                    return c == 0 ? cell + pad : pad + cell
                }.joined(separator: "  ")
            }
            return ([line(header)] + rows.map(line)).joined(separator: "\n")
        }
    }
}
