import GrowdaData
import GrowdaNN
import GrowdaStore
import Testing

@testable import GrowdaAggregator

/// The server-side evaluator records accuracy, AUC and the loss (eval_loss in the history) of each version.
@Suite struct EvaluatorTests {
    @Test func anEvaluationCarriesTheLoss() throws {
        let spec = ModelSpec(
            name: "tiny", inputShape: [1, 2, 2], classes: ["a", "b"], layers: [.flatten, .dense(units: 2)])
        let data = Dataset(
            classNames: ["a", "b"], sampleShape: [1, 2, 2], bytes: [0, 50, 100, 150, 200, 250, 30, 60],
            labels: [0, 1])
        let evaluator = try Evaluator(spec: spec, data: data)
        // All-zero weights give every class probability ½, so the mean cross-entropy is ln 2.
        let model = try Model(spec: spec)
        evaluator.submit(
            EvaluationJob(
                version: 3, parameters: Array(repeating: 0, count: model.parameterCount),
                state: Array(model.state.buffer)))
        let results = evaluator.finish()
        let result = try #require(results.first)
        #expect(results.count == 1 && result.version == 3)
        let loss = try #require(result.evaluation.loss)
        #expect(abs(loss - 0.693_147) < 1e-5, "\(loss)")
        #expect(result.evaluation.auc == 0.5)
    }
}
