import ArgumentParser
import Dispatch
import Foundation
import GrowdaAudit
import GrowdaData
import GrowdaNN
import GrowdaTensor

/// `growda audit`: measured privacy audits of what a node sends.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Measure what an attacker can learn from the updates a node sends.",
        subcommands: [AuditLeakage.self]
    )
}

/// `growda audit leakage`: a gradient-leakage audit, a real reconstruction attack on real updates.
struct AuditLeakage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leakage",
        abstract: "Reconstruct training images from one update, without and with a defence, and score them.",
        discussion: """
            For each batch size B and trial, B images are drawn from --data and one update is trained from \
            them as a node trains it: one local epoch with batch size B (so one step), the node's optimizer, \
            the trained minus the global parameters. The attacker is an aggregator that holds the global model \
            and the node's settings. It reads the inputs of the first dense layer off the update (ΔW[i,:] / \
            Δb[i] is that input for a unit one sample reached; rows that agree are grouped and fitted), after \
            undoing the weight decay and the optimizer's first step (Adam's −lr·g/(|g|+ε) is inverted as far \
            as Float32 rounding allows). For small28 and xray128 those inputs are the last pooled feature \
            map, so each candidate is turned into an image by feature inversion: Adam on the pixels, in \
            [0, 1], through the engine's backward to the input, --iterations steps, with a total-variation \
            prior and, for a one-image update, a match of the last convolution's weight gradient too. (Full \
            gradient matching, DLG, needs double backprop, which the engine lacks.)
            Each true image is scored against its best candidate (the highest PSNR on the pixels the model \
            sees), averaged over the B images and the trials: PSNR (dB, peak 1) and SSIM (Gaussian 11×11, \
            σ 1.5), over the whole image and over the seen pixels only. Pixels no layer reads (small28's last \
            2 rows and columns) are filled from the nearest seen pixel: no attack on this model can do better \
            there. Baselines: a wrong image (another image of the data) and the mean image of the data; an \
            attack scoring near them recovered nothing. The defence, when given, is DP-SGD in the local \
            training (--dp-clip, --dp-noise) and/or the update-level clip and noise (--update-clip, \
            --update-noise), on the same images. The sheet shows, per batch size, the originals above the \
            reconstructions.
            Without --checkpoint the model is a fresh one (--seed), trained first for --pretrain-epochs on the \
            images no trial uses, so the attack can be aimed at a partly trained model.
            """)

    @Option(help: "Model: small28 or xray128 (the data is resized to its input).")
    var model: String

    @Option(help: "Images to audit with: a folder root/<class>/ of PNG or DICOM images.")
    var data: String

    @Option(help: "Start from this checkpoint (.safetensors) instead of a fresh model.")
    var checkpoint: String?

    @Option(parsing: .unconditional, help: "Seed for the fresh model, the images drawn and the training noise.")
    var seed: UInt64 = 1

    @Option(
        name: .customLong("pretrain-epochs"), parsing: .unconditional,
        help: "Epochs to train the model first (Adam 1e-3, batch 32) on the images no trial uses.")
    var pretrainEpochs = 0

    @Option(
        name: .customLong("batch-sizes"),
        help: ArgumentHelp("Batch sizes to audit, comma-separated (each an update of that many images).",
            valueName: "list"))
    var batchSizes = "1,4,16"

    @Option(parsing: .unconditional, help: "Updates per batch size (different images each).")
    var trials = 3

    @Option(help: "The node's optimizer: adam, sgd (momentum 0.9), or both (each measured).")
    var optimizer: OptimizerChoice = .both

    @Option(name: .customLong("learning-rate"), parsing: .unconditional, help: "The local learning rate.")
    var learningRate: Float = 1e-3

    @Option(
        name: .customLong("weight-decay"), parsing: .unconditional,
        help: "The local weight decay (a node's default: 0.05).")
    var weightDecay: Float = NodeDefaults.weightDecay

    @Option(name: .customLong("dp-clip"), parsing: .unconditional, help: "DP-SGD: clip each sample's gradient to C.")
    var dpClip: Float?

    @Option(
        name: .customLong("dp-noise"), parsing: .unconditional, help: "DP-SGD: noise multiplier σ (std σ·C).")
    var dpNoise: Float?

    @Option(name: .customLong("update-clip"), parsing: .unconditional, help: "Update level: clip the update to S.")
    var updateClip: Float?

    @Option(
        name: .customLong("update-noise"), parsing: .unconditional,
        help: "Update level: noise multiplier z (std z·S).")
    var updateNoise: Float?

    @Option(parsing: .unconditional, help: "Feature-inversion steps per candidate.")
    var iterations = 600

    @Option(
        parsing: .unconditional,
        help: "Candidates kept per update (default: 2 × batch size + 1, the fit over every row included).")
    var candidates: Int?

    @Option(help: "Where to write the PNG sheet of originals and reconstructions.")
    var sheet = "audit-leakage.png"

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "Print one JSON object with every figure.")
    var json = false

    /// Which optimizers to audit.
    enum OptimizerChoice: String, ExpressibleByArgument, CaseIterable { case adam, sgd, both }

    /// The node's defaults the audit copies.
    enum NodeDefaults {
        /// `NodeConfiguration.defaultWeightDecay`.
        static let weightDecay: Float = 0.05
    }

    /// The image models the audit takes.
    static let models = ["small28", "xray128"]

    /// The batch sizes of `--batch-sizes`.
    var parsedBatchSizes: [Int] {
        batchSizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        guard Self.models.contains(model) else {
            // resnet128's dense layer sees 128 globally pooled features, not an image-sized map, so the dense-layer
            // reconstruction has nothing image-like to recover; its residual blocks are not modelled by the attack.
            let why = ModelSpec.referenceNames.contains(model) ? "" : "unknown "
            throw ValidationError(
                "\(why)--model '\(model)': the audit takes the image models \(Self.models.joined(separator: ", ")) "
                    + "(their first dense layer sees an image-sized feature map, which the attack reconstructs)")
        }
        let sizes = batchSizes.split(separator: ",", omittingEmptySubsequences: false)
        guard !sizes.isEmpty, sizes.allSatisfy({ Int($0.trimmingCharacters(in: .whitespaces)).map { $0 >= 1 } ?? false })
        else { throw ValidationError("--batch-sizes must be whole numbers ≥ 1 separated by commas, got '\(batchSizes)'") }
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        guard pretrainEpochs >= 0 else { throw ValidationError("--pretrain-epochs must be 0 or more") }
        guard learningRate > 0, learningRate.isFinite else {
            throw ValidationError("--learning-rate must be a positive number")
        }
        guard weightDecay >= 0, weightDecay.isFinite else { throw ValidationError("--weight-decay must be 0 or more") }
        guard (dpClip == nil) == (dpNoise == nil) else {
            throw ValidationError("give --dp-clip and --dp-noise together (DP-SGD needs both C and σ)")
        }
        if let dpClip, let dpNoise, let problem = Self.privacyProblem(clip: dpClip, noise: dpNoise, name: "dp") {
            throw ValidationError(problem)
        }
        guard updateNoise == nil || updateClip != nil else {
            throw ValidationError("--update-noise needs --update-clip (the noise is z·S)")
        }
        if let updateClip, let problem = Self.privacyProblem(clip: updateClip, noise: updateNoise ?? 0, name: "update")
        {
            throw ValidationError(problem)
        }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        if let candidates, candidates < 1 { throw ValidationError("--candidates must be at least 1") }
        guard sheet.lowercased().hasSuffix(".png") else { throw ValidationError("--sheet must end in .png, got \(sheet)") }
    }

    /// Why a clip and noise pair is unusable, or nil.
    static func privacyProblem(clip: Float, noise: Float, name: String) -> String? {
        guard clip > 0, clip.isFinite else { return "--\(name)-clip must be a number > 0, got \(clip)" }
        guard noise >= 0, noise.isFinite else { return "--\(name)-noise must be a number ≥ 0, got \(noise)" }
        return nil
    }

    /// DP-SGD as the options give it.
    var privacy: DPSGD? { dpClip.map { DPSGD(clipNorm: $0, noiseMultiplier: dpNoise ?? 0) } }
    /// The update-level defence as the options give it.
    var updatePrivacy: UpdatePrivacy? { updateClip.map { UpdatePrivacy(clipNorm: $0, noiseMultiplier: updateNoise ?? 0) } }

    /// The defence in words, e.g. "DP-SGD C 1 σ 1" (nil: none chosen).
    var defenceName: String? {
        var parts: [String] = []
        if let p = privacy { parts.append("DP-SGD C \(p.clipNorm) σ \(p.noiseMultiplier)") }
        if let u = updatePrivacy { parts.append("update clip S \(u.clipNorm) z \(u.noiseMultiplier)") }
        return parts.isEmpty ? nil : parts.joined(separator: " + ")
    }

    /// The optimizers audited, as the node would configure them.
    var optimizers: [(name: String, config: OptimizerConfig)] {
        let adam = ("adam", OptimizerConfig.adam(learningRate: learningRate, weightDecay: weightDecay))
        let sgd = ("sgd", OptimizerConfig.sgd(learningRate: learningRate, momentum: 0.9, weightDecay: weightDecay))
        switch optimizer {
        case .adam: return [adam]
        case .sgd: return [sgd]
        case .both: return [adam, sgd]
        }
    }

    func run() async throws {
        let report = try audit()
        if json {
            try Terminal.printJSON(report)
        } else {
            print(report.text)
        }
    }
}
