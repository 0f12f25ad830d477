import Contracts

extension SocketPacket {
    /// The name of an event as socket.io dispatches it, or `nil` when the packet is no event.
    ///
    /// socket.io-parser accepts an event whose first element is a string or a number; socket.io
    /// then emits it on an EventEmitter, whose listeners are keyed by strings, so `42[123,"x"]`
    /// reaches the listener of `"123"`. A number is named as JavaScript writes it
    /// (``javaScriptText(_:)``). Any other first element never gets here: the decoder refuses it.
    public var eventName: String? {
        guard kind == .event || kind == .binaryEvent else { return nil }
        switch arguments.first {
        case .string(let name)?: return name
        case .int(let number)?: return String(number)
        case .double(let number)?: return Self.javaScriptText(number)
        default: return nil
        }
    }

    /// `number` as JavaScript's `String(number)` writes it (ECMAScript Number::toString): the
    /// shortest digits that read back as the number, in plain notation from 1e-6 up to 1e21 and
    /// as `d.ddde±n` outside.
    public static func javaScriptText(_ number: Double) -> String {
        guard number.isFinite else { return number.isNaN ? "NaN" : (number < 0 ? "-Infinity" : "Infinity") }
        if number == 0 { return "0" }
        if number < 0 { return "-" + javaScriptText(-number) }
        let (digits, exponent) = shortestDigits(number)
        let k = digits.count
        let n = exponent  // number = 0.digits × 10^n
        if k <= n && n <= 21 { return digits + String(repeating: "0", count: n - k) }
        if 0 < n && n <= 21 { return String(digits.prefix(n)) + "." + String(digits.dropFirst(n)) }
        if -6 < n && n <= 0 { return "0." + String(repeating: "0", count: -n) + digits }
        let sign = n - 1 < 0 ? "-" : "+"
        let mantissa = k == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
        return mantissa + "e" + sign + String(abs(n - 1))
    }

    /// The shortest round-trip digits of a positive finite `number` (Swift's `description` has
    /// them, as JavaScript's) without leading or trailing zeros, and `n` with
    /// `number = 0.d₁d₂… × 10^n`.
    private static func shortestDigits(_ number: Double) -> (String, Int) {
        let text = number.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0]
        let dot = mantissa.firstIndex(of: ".") ?? mantissa.endIndex
        let whole = mantissa[..<dot]
        let fraction = dot < mantissa.endIndex ? mantissa[mantissa.index(after: dot)...] : ""
        var digits = Array(whole + fraction)
        var n = whole.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (String(digits), n)
    }
}
