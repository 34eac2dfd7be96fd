import Foundation
import GrowdaTensor

/// Synthetic single ECG beats in two classes, laid out like the MIT-BIH beats Growda trains `ecg187` on: 187
/// samples at 360 Hz, from 90 before the R peak to 96 after it, each beat min-max normalised to [0, 1] and
/// rounded to 4 decimals. For tests, demos and federations without real data.
///
/// - label 0, normal: a P wave, a narrow QRS (Q, R, S) and an upright T wave.
/// - label 1, PVC-like: premature, no P wave, a wide and tall QRS, a T wave opposite to it.
///
/// Beats come in records (patients): each record draws its own heart rate, wave amplitudes and widths, baseline
/// wander, noise level, share of PVCs and PVC shape, so records differ the way patients do and a split by record
/// is harder than a split by beat. The classes overlap on purpose (normal beats with a bundle-branch block are
/// wide too, some PVCs are narrow, noise can be strong), so a small CNN learns them well but not perfectly.
/// Record `r` depends only on (seed, r): records `0..<n` and `n..<m` of one seed are different patients.
/// Each beat's R-peak position in its record (`rPeaks`) follows the rhythm: a PVC comes early and the beat
/// after it late (a compensatory pause), so `ecg187rr` can be trained on synthetic records too.
public enum SyntheticECG {
    /// Samples per beat.
    public static let length = 187
    /// The index of the R peak in a beat.
    public static let rPeak = 90
    /// Samples a second.
    public static let samplingRate = 360.0
    /// Label of normal beats.
    public static let normal: Int32 = 0
    /// Label of PVC-like beats.
    public static let pvc: Int32 = 1

    /// The name of record `index`: "syn-000", "syn-001", ….
    public static func recordName(_ index: Int) -> String { String(format: "syn-%03d", index) }

    /// `beatsPerRecord` beats of each of the records `first..<first + records`, record by record, with the
    /// record names as groups. Classes are named "0" (normal) and "1" (PVC), as a signal CSV's labels load.
    public static func generate(records: Int, beatsPerRecord: Int, seed: UInt64, first: Int = 0) -> Dataset {
        precondition(records > 0 && beatsPerRecord > 0, "records and beats per record must be positive")
        var values = [Float]()
        values.reserveCapacity(records * beatsPerRecord * length)
        var labels = [Int32](), groups = [String](), sources = [String](), rPeaks = [Int]()
        for r in first..<(first + records) {
            var rng = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(r) &* 0xBF58_476D_1CE4_E5B9 &+ 1)
            let style = RecordStyle(rng: &rng)
            var position = 0.0, afterPVC = false
            for b in 0..<beatsPerRecord {
                let label = Double(rng.nextUnit()) < style.pvcShare ? pvc : normal
                let (beat, before) = style.beat(pvc: label == pvc, afterPVC: afterPVC, rng: &rng)
                values += beat
                position += before
                rPeaks.append(Int(position.rounded()))
                afterPVC = label == pvc
                labels.append(label)
                groups.append(recordName(r))
                sources.append("\(recordName(r)) beat \(b)")
            }
        }
        return Dataset(
            classNames: ["0", "1"], sampleShape: [1, length], floats: values, labels: labels, sources: sources,
            groups: groups, rPeaks: rPeaks)
    }

    /// Writes ``generate(records:beatsPerRecord:seed:first:)`` as a signal CSV with a record column.
    @discardableResult
    public static func write(
        records: Int, beatsPerRecord: Int, seed: UInt64, first: Int = 0, to path: String
    ) throws -> Dataset {
        let dataset = generate(records: records, beatsPerRecord: beatsPerRecord, seed: seed, first: first)
        try dataset.writeCSV(to: path)
        return dataset
    }

    /// One patient: what all of its beats share.
    struct RecordStyle {
        /// Samples between beats at rest.
        var rr: Double
        var pAmplitude: Double, qAmplitude: Double, sAmplitude: Double, tAmplitude: Double
        /// Gaussian width (σ, samples) of the normal QRS waves.
        var qrsWidth: Double
        var pOffset: Double, tOffset: Double
        var noise: Double
        var wanderAmplitude: Double, wanderPeriod: Double
        /// The chance that a beat is a PVC.
        var pvcShare: Double
        /// The PVC's shape: QRS width (σ), amplitude, polarity (+1 or −1), T amplitude, and its prematurity.
        var pvcWidth: Double, pvcAmplitude: Double, pvcPolarity: Double, pvcTAmplitude: Double, coupling: Double

        init(rng: inout SeededGenerator) {
            func draw(_ range: ClosedRange<Double>) -> Double {
                range.lowerBound + (range.upperBound - range.lowerBound) * Double(rng.nextUnit())
            }
            rr = SyntheticECG.samplingRate * 60 / draw(55...110)
            pAmplitude = draw(0.06...0.2)
            qAmplitude = -draw(0.02...0.2)
            sAmplitude = -draw(0.05...0.45)
            tAmplitude = draw(0...1) < 0.1 ? -draw(0.03...0.12) : draw(0.1...0.45)
            // About one record in six conducts with a bundle-branch block: normal beats (label 0) with a wide QRS.
            qrsWidth = draw(0...1) < 0.16 ? draw(5...8) : draw(2.2...4.8)
            pOffset = -draw(50...68)
            tOffset = draw(58...80) * (rr / 300).squareRoot()
            noise = draw(0.01...0.08)
            wanderAmplitude = draw(0...0.2)
            wanderPeriod = draw(500...1500)
            pvcShare = draw(0...1) < 0.25 ? draw(0...0.01) : draw(0.03...0.3)
            pvcWidth = draw(4.5...12)
            pvcAmplitude = draw(0.9...2.0)
            pvcPolarity = draw(0...1) < 0.3 ? -1 : 1
            pvcTAmplitude = draw(0.25...0.6)
            coupling = draw(0.55...0.8)
        }

        /// One beat, min-max normalised and rounded to 4 decimals.
        func beat(pvc: Bool, afterPVC: Bool, rng: inout SeededGenerator) -> (beat: [Float], before: Double) {
            func jitter(_ spread: Double) -> Double { 1 + spread * (2 * Double(rng.nextUnit()) - 1) }
            let shift = 2 * Double(rng.nextUnit()) - 1  // the annotation's R sample is off by up to a sample
            let gain = jitter(0.08)
            // The beat before this one: its T wave may reach into the window's start.
            // A PVC comes early (the coupling interval); the beat after it waits out a compensatory pause.
            let before = rr * jitter(0.06) * (pvc ? coupling : afterPVC ? 2 - coupling : 1)
            var waves: [(centre: Double, width: Double, amplitude: Double)] = [
                (tOffset - before, 14, tAmplitude * gain)
            ]
            if pvc {
                let a = pvcAmplitude * gain * pvcPolarity
                waves += [
                    (shift + 1, pvcWidth, a), (shift + 2.2 * pvcWidth, pvcWidth, -0.45 * a),
                    (shift + 5 * pvcWidth + 12, 18, -pvcPolarity * pvcTAmplitude * gain),
                ]
            } else {
                let w = qrsWidth * jitter(0.05)
                waves += [
                    (shift + pOffset * jitter(0.03), 8, pAmplitude * gain),
                    (shift - 2.6 * w, w * 0.8, qAmplitude * gain),
                    (shift, w, gain), (shift + 2.6 * w, w, sAmplitude * gain),
                    (shift + tOffset * jitter(0.04), 14 * jitter(0.1), tAmplitude * gain),
                ]
            }
            let phase = 2 * Double.pi * Double(rng.nextUnit())
            let wander = wanderAmplitude * jitter(0.3)
            var signal = [Double](repeating: 0, count: SyntheticECG.length)
            for i in 0..<SyntheticECG.length {
                let t = Double(i - SyntheticECG.rPeak)
                var v = wander * sin(2 * Double.pi * t / wanderPeriod + phase) + noise * Double(rng.gaussian())
                for wave in waves {
                    let z = (t - wave.centre) / wave.width
                    v += wave.amplitude * exp(-0.5 * z * z)
                }
                signal[i] = v
            }
            let low = signal.min()!, high = signal.max()!
            let span = max(high - low, 1e-9)
            return (signal.map { Float((($0 - low) / span * 10_000).rounded() / 10_000) }, before)
        }
    }
}
