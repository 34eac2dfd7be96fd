import Dispatch
import Foundation
import GrowdaAudit
import GrowdaData
import GrowdaNN
import GrowdaTensor

extension AuditLeakage {
    /// PSNR and SSIM of one comparison, averaged (the JSON keys are part of the interface).
    struct Score: Codable, Equatable {
        /// dB over the whole image, and over the pixels the model sees.
        var psnr: Double, psnr_seen: Double
        /// SSIM over the whole image, and over the pixels the model sees.
        var ssim: Double, ssim_seen: Double

        init(_ s: RecoveryScore) {
            psnr = s.psnr
            psnr_seen = s.psnrSeen
            ssim = s.ssim
            ssim_seen = s.ssimSeen
        }
    }

    /// The figures of one optimizer and batch size, averaged over its images and trials.
    struct Row: Codable {
        var optimizer: String
        var batch: Int
        /// The attack on the plain update.
        var undefended: Score
        /// The attack on the update trained and sent with the defence (nil: none chosen).
        var defended: Score?
        /// A different image of the data in place of a reconstruction.
        var wrong_image: Score
        /// The data's mean image in place of a reconstruction.
        var mean_image: Score
        /// Candidates the attack produced per update, on average (plain, defended).
        var candidates: Double
        var defended_candidates: Double?
    }

    /// The whole audit (printed as JSON with --json).
    struct Report: Codable {
        var model: String
        /// "fresh (seed N)" or the checkpoint's path.
        var start: String
        var pretrain_epochs: Int
        var data: String
        var images: Int
        /// The seen pixels, rows×columns from the top left, of the model's H×W input.
        var seen: String
        var input: String
        var trials: Int
        var iterations: Int
        var learning_rate: Float
        var weight_decay: Float
        var defence: String?
        var results: [Row]
        var sheet: String
        var seconds: Double

        /// The report as tables for a person.
        var text: String {
            var lines = [
                "gradient-leakage audit of \(model) (\(start)\(pretrain_epochs > 0 ? ", pretrained \(pretrain_epochs) epoch(s)" : "")) "
                    + "on \(data): \(trials) trial(s) per batch size, \(iterations) inversion steps",
                "PSNR in dB (higher: closer), SSIM in [-1, 1]; 'seen' = the \(seen) pixels of the \(input) input "
                    + "the model reads, 'all' = every pixel",
            ]
            let header =
                "  " + "batch".padding(toLength: 7, withPad: " ", startingAt: 0)
                + "what".padding(toLength: 34, withPad: " ", startingAt: 0) + "PSNR all  PSNR seen  SSIM all  SSIM seen"
            for name in Set(results.map(\.optimizer)).sorted() {
                lines.append("")
                lines.append("optimizer \(name) (learning rate \(learning_rate), weight decay \(weight_decay)):")
                lines.append(header)
                for row in results where row.optimizer == name {
                    var entries: [(String, Score)] = [("attack, undefended", row.undefended)]
                    if let d = row.defended { entries.append(("attack, \(defence ?? "defended")", d)) }
                    entries.append(("baseline: a wrong image", row.wrong_image))
                    entries.append(("baseline: the mean image", row.mean_image))
                    for (what, s) in entries {
                        lines.append(
                            "  " + String(row.batch).padding(toLength: 7, withPad: " ", startingAt: 0)
                                + what.padding(toLength: 34, withPad: " ", startingAt: 0)
                                + column(fmt(s.psnr, 2), 10) + column(fmt(s.psnr_seen, 2), 11)
                                + column(fmt(s.ssim, 3), 10) + fmt(s.ssim_seen, 3))
                    }
                }
            }
            lines.append("")
            lines.append(
                "an attack that works scores far above both baselines (over 30 dB is a recognisable copy); a defence "
                    + "that works leaves it at the mean image's level.")
            if results.contains(where: { $0.optimizer == "adam" }) {
                lines.append(
                    "Adam's first step is −lr·g/(|g|+ε): it hides gradient magnitudes only as far as Float32 rounding "
                        + "of the update does; the attack inverts it (see --help).")
            }
            lines.append("sheet of originals and reconstructions written to \(sheet)")
            return lines.joined(separator: "\n")
        }

        private func column(_ text: String, _ width: Int) -> String {
            text.padding(toLength: width, withPad: " ", startingAt: 0)
        }
    }

    /// Loads the data and the model, runs every trial and writes the sheet.
    func audit() throws -> Report {
        let start = DispatchTime.now().uptimeNanoseconds
        let quiet = json
        let sizes = parsedBatchSizes
        let global = try startingModel()
        let shape = global.spec.inputShape
        let data = try loadData(for: global)
        let (height, width) = (shape[1], shape[2])
        guard data.count > sizes.max()! else {
            throw CLIError(
                "\(data.count) image(s) in \(self.data), but a batch of \(sizes.max()!) and a wrong-image baseline "
                    + "need at least \(sizes.max()! + 1): add images or lower --batch-sizes")
        }

        // The images of every trial and a wrong image for each, drawn first so pretraining can leave them out
        // and both optimizers see the same ones.
        var pick = SeededGenerator(seed: seed ^ 0x4155_4449_54)
        let draws = sizes.map { b in
            (0..<trials).map { _ -> Draw in
                let images = Self.distinct(b, below: data.count, rng: &pick)
                let wrong = images.map { _ in
                    var other = Int(pick.next() % UInt64(data.count))
                    while images.contains(other) { other = (other + 1) % data.count }
                    return other
                }
                return Draw(images: images, wrong: wrong)
            }
        }
        let audited = Set(draws.flatMap { $0.flatMap(\.images) })
        if pretrainEpochs > 0 { try pretrain(global, on: data, leavingOut: audited, quiet: quiet) }

        var mean = [Double](repeating: 0, count: height * width)
        for i in 0..<data.count { for (j, v) in data.sample(at: i).scalars.enumerated() { mean[j] += Double(v) } }
        let meanImage = mean.map { Float($0 / Double(data.count)) }

        let attacks = try sizes.map { b in
            try LeakageAttack(
                global: global, candidateLimit: candidates ?? 2 * b + 1, iterations: iterations,
                threads: threadOptions.count)
        }
        let seen = attacks[0].seen
        var rows: [Row] = []
        var sections: [AuditSheet.Section] = []
        for (name, config) in optimizers {
            for (s, b) in sizes.enumerated() {
                var outcomes: [Outcome] = []
                for (t, draw) in draws[s].enumerated() {
                    let trialStart = DispatchTime.now().uptimeNanoseconds
                    let outcome = try trial(
                        draw, of: data, optimizer: config, attack: attacks[s], seed: seed &+ UInt64(1000 * b + t),
                        meanImage: meanImage, seen: seen)
                    outcomes.append(outcome)
                    if t == 0 {
                        sections.append(
                            AuditSheet.Section(
                                title: "\(name.uppercased()) BATCH \(b)", originals: outcome.truths,
                                undefended: outcome.plain.images, defended: outcome.defended?.images,
                                undefendedPSNR: outcome.plain.scores.map(\.psnrSeen),
                                defendedPSNR: outcome.defended?.scores.map(\.psnrSeen)))
                    }
                    if !quiet {
                        let seconds = Double(DispatchTime.now().uptimeNanoseconds - trialStart) / 1e9
                        let mean = RecoveryScore.mean(outcome.plain.scores)
                        var line =
                            "\(name) batch \(b) trial \(t + 1)/\(trials): \(outcome.plain.candidates) candidate(s), "
                            + "PSNR \(fmt(mean.psnr, 2)) dB (seen \(fmt(mean.psnrSeen, 2)))"
                        if let d = outcome.defended.map({ RecoveryScore.mean($0.scores) }) {
                            line += ", defended \(fmt(d.psnr, 2)) dB (seen \(fmt(d.psnrSeen, 2)))"
                        }
                        Terminal.note(line + " in \(fmt(seconds, 1)) s")
                    }
                }
                let defended = outcomes.compactMap(\.defended)
                rows.append(
                    Row(
                        optimizer: name, batch: b, undefended: Score(.mean(outcomes.flatMap(\.plain.scores))),
                        defended: defended.isEmpty ? nil : Score(.mean(defended.flatMap(\.scores))),
                        wrong_image: Score(.mean(outcomes.flatMap(\.wrong))),
                        mean_image: Score(.mean(outcomes.flatMap(\.meanImage))),
                        candidates: Double(outcomes.reduce(0) { $0 + $1.plain.candidates }) / Double(trials),
                        defended_candidates: defended.isEmpty
                            ? nil : Double(defended.reduce(0) { $0 + $1.candidates }) / Double(trials)))
            }
        }
        let picture = AuditSheet.draw(sections, width: width, height: height, defence: defenceName)
        do { try PNG.write(picture, to: sheet) } catch {
            throw CLIError("cannot write the sheet to \(sheet): \(error); give --sheet a writable path")
        }
        return Report(
            model: model, start: checkpoint ?? "fresh (seed \(seed))", pretrain_epochs: pretrainEpochs, data: self.data,
            images: data.count, seen: seen.description, input: "\(height)×\(width)", trials: trials,
            iterations: iterations, learning_rate: learningRate, weight_decay: weightDecay, defence: defenceName,
            results: rows, sheet: sheet, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// The images of one trial (indices into the data) and, for each, a different image for the baseline.
    struct Draw {
        var images: [Int], wrong: [Int]
    }

    /// The attack on one update: every candidate's count, and each true image's best candidate and its score.
    struct Attempt {
        var candidates: Int
        var images: [[Float]]
        var scores: [RecoveryScore]
    }

    /// What one trial measured.
    struct Outcome {
        var truths: [[Float]]
        var plain: Attempt
        var defended: Attempt?
        var wrong: [RecoveryScore], meanImage: [RecoveryScore]
    }

    /// One trial: the plain update and, with a defence, the defended one, trained from the same images and seed,
    /// each attacked and scored, and the baselines scored against the same images.
    private func trial(
        _ draw: Draw, of data: Dataset, optimizer: OptimizerConfig, attack: LeakageAttack, seed: UInt64,
        meanImage: [Float], seen: SeenRegion
    ) throws -> Outcome {
        let shape = data.sampleShape
        let (height, width) = (shape[1], shape[2])
        let truths = draw.images.map { data.sample(at: $0).scalars }
        let samples = data.subset(draw.images)
        func attempt(_ training: LocalUpdate) throws -> Attempt {
            let update = try training.train(from: attack.global, on: samples)
            let found = attack.reconstruct(delta: update, optimizer: optimizer, samples: samples.count)
            let scores = truths.map {
                RecoveryScore.best(of: found, for: $0, width: width, height: height, seen: seen)
            }
            return Attempt(
                candidates: found.count, images: scores.map { $0.candidate.map { found[$0] } ?? [] }, scores: scores)
        }
        let plain = try attempt(LocalUpdate(optimizer: optimizer, threads: threadOptions.count, seed: seed))
        let defended =
            privacy == nil && updatePrivacy == nil
            ? nil
            : try attempt(
                LocalUpdate(
                    optimizer: optimizer, privacy: privacy, updatePrivacy: updatePrivacy, threads: threadOptions.count,
                    seed: seed))
        return Outcome(
            truths: truths, plain: plain, defended: defended,
            wrong: zip(truths, draw.wrong).map { truth, other in
                RecoveryScore(data.sample(at: other).scalars, against: truth, width: width, height: height, seen: seen)
            },
            meanImage: truths.map {
                RecoveryScore(meanImage, against: $0, width: width, height: height, seen: seen)
            })
    }

    /// The model the updates start from: the checkpoint (which must be a `--model`), or a fresh one.
    private func startingModel() throws -> Model {
        guard let checkpoint else {
            let catalog: ImageCatalog
            do { catalog = try ImageCatalog.scanFolder(data) } catch { throw dataError(error) }
            guard catalog.classNames.count >= 2 else {
                throw CLIError(
                    "\(data) has \(catalog.classNames.count) class folder(s) (\(catalog.classNames.joined(separator: ", "))); "
                        + "give a folder root/<class>/*.png with at least two classes")
            }
            return try Model(reference: model, classes: catalog.classNames, seed: seed)
        }
        let (net, _) = try SampleLoading.imageModel(checkpoint)
        guard net.spec.name == model else {
            throw CLIError("\(checkpoint) holds a '\(net.spec.name)' model, not '\(model)': give --model \(net.spec.name)")
        }
        return net
    }

    /// The images of `--data` at the model's input size, with the model's classes.
    private func loadData(for global: Model) throws -> Dataset {
        do {
            return try SampleLoading.load(
                data, inputShape: global.spec.inputShape, classNames: global.spec.classes, quiet: json)
        } catch let error as DatasetError { throw dataError(error) }
    }

    /// `error` from reading `--data`, with the folder named and, for a folder of splits, the one to give.
    private func dataError(_ error: DatasetError) -> CLIError {
        let inside = (try? FileManager.default.contentsOfDirectory(atPath: data)) ?? []
        let hint = inside.contains("train") ? " (\(data) holds train/: give --data \(data)/train)" : ""
        return CLIError("\(error)\(hint)")
    }

    /// Trains `global` in place for `--pretrain-epochs` on the images no trial uses, as a node would (Adam
    /// 10⁻³, batch 32, the node's weight decay).
    private func pretrain(_ global: Model, on data: Dataset, leavingOut audited: Set<Int>, quiet: Bool) throws {
        let rest = data.subset((0..<data.count).filter { !audited.contains($0) })
        guard rest.count > 0 else { throw CLIError("every image of \(self.data) is audited: none is left to pretrain on") }
        let trainer = Trainer(
            model: global, optimizer: .adam(learningRate: 1e-3, weightDecay: NodeDefaults.weightDecay), batchSize: 32,
            threads: threadOptions.count, seed: seed)
        let progress = Terminal.ProgressLine(enabled: !quiet)
        for epoch in 1...pretrainEpochs {
            let stats = trainer.trainEpoch(AugmentedDataset(rest, augmenter: nil), progress: { p in
                progress.update(
                    fraction: Double(p.step) / Double(p.steps),
                    "pretraining epoch \(epoch)/\(pretrainEpochs) step \(p.step)/\(p.steps) loss \(fmt(p.stats.loss))")
            })
            progress.finish()
            if !quiet {
                Terminal.note(
                    "pretraining epoch \(epoch)/\(pretrainEpochs) on \(rest.count) images: loss \(fmt(stats.loss)) "
                        + "accuracy \(fmt(stats.accuracy, 3))")
            }
        }
    }

    /// `count` distinct indices below `limit`, drawn from `rng`.
    static func distinct(_ count: Int, below limit: Int, rng: inout SeededGenerator) -> [Int] {
        var chosen: [Int] = []
        while chosen.count < count {
            let i = Int(rng.next() % UInt64(limit))
            if !chosen.contains(i) { chosen.append(i) }
        }
        return chosen
    }
}
