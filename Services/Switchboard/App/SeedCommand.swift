import ArgumentParser
import Bus
import Contracts
import Foundation
import Logging
import SwitchboardKit

/// `switchboard seed FILE.json`: gives one seed document to every service that takes seeds.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Load a seed document (docs/seed.md) into every service that announced (\"\", \"seed\").",
        discussion: """
            Publishes ONE event `seed` (namespace "") whose single argument is the whole document to
            each service whose hello announces ("", "seed"), waits for each reply, and prints one line
            per service. Services take the parts they know and ignore the rest; seeding is an upsert,
            so running it twice changes nothing. Exits 2 when a service refused or did not answer,
            3 when no service takes seeds.
            """
    )

    @OptionGroup var bus: BusOptions
    @Argument(help: "The seed document (JSON).") var file: String
    @Option(help: "Milliseconds to listen for hellos before sending (services say hello every second).")
    var waitMs = 2500
    @Option(help: "Milliseconds before an unanswered seed fails.") var timeoutMs = 10_000

    /// Reads and checks the document, then gives it to every service that takes seeds.
    func run() async throws {
        let text: Data
        do {
            text = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        let document: JSON
        do {
            document = try JSONCoding.decode(JSON.self, from: text)
        } catch {
            throw ValidationError("\(file) is not JSON: \(error)")
        }
        guard document.objectValue != nil else { throw ValidationError("\(file): the seed document must be an object") }
        let failures = try await SeedDelivery.deliver(document, bus: bus, waitMs: waitMs, timeoutMs: timeoutMs, report: emitLine)
        if failures > 0 { throw ExitCode(2) }
    }
}
