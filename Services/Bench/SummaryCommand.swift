import ArgumentParser
import SwitchboardKit

/// `switchboard-bench summary FILE…`: the rows that `switchboard-bench socketio --summary FILE`
/// appended, as one table.
struct SummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print the rows of `socketio --summary` files as one table.",
        discussion: """
            Reads every file (one JSON object per line, as `socketio --summary` appends them) and \
            prints all rows in order as one table: scenario, throughput, p50, p99, server CPU µs per \
            operation, voluntary context switches per operation, KB of server memory per idle \
            connection, errors. A build column is shown when the rows name builds. With --median, \
            rows of the same build and scenario (e.g. from several runs) become one row of their \
            medians (errors: the largest).
            """
    )

    @Argument(help: "Files of summary rows.") var files: [String]
    @Flag(help: "Print a Markdown table.") var markdown = false
    @Flag(help: "One row per build and scenario: the median of each figure.") var median = false

    /// Reads the files and prints the table.
    func run() async throws {
        let all = try files.flatMap { try SummaryRow.read(from: $0) }
        let rows = median ? SummaryRow.medians(all) : all
        emitLine(markdown ? SummaryRow.markdown(rows) : SummaryRow.table(rows))
    }
}
