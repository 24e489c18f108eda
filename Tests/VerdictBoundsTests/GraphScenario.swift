import VerdictBounds
import VerdictCore
import VerdictTestSupport

/// A random small graph (``RandomGraphs/convolutional(generator:sides:channels:)``) with a
/// random box and region: what the graph engine's property-based tests bound.
struct GraphScenario {
    let network: Network
    let graph: GraphBoundNetwork
    let box: InputBox
    let objectives: Objectives

    var engine: GraphBoundEngine { GraphBoundEngine(graph: graph) }

    init(_ generator: inout SeededGenerator) throws {
        network = try RandomGraphs.convolutional(generator: &generator)
        let (box, region) = RandomGraphs.property(for: network, generator: &generator)
        graph = try GraphBoundNetwork(network)
        self.box = box
        objectives = Objectives(region: region, outputCount: network.outputCount)
    }
}
