import EngineIO

/// An Engine.IO request as the edge serves it: for the Socket.IO path or for a plain endpoint.
struct ServedEngineRequest {
    /// The request, classified.
    let request: EngineRequest
    /// The bus namespace of the plain endpoint it is for; `nil` for the Socket.IO path.
    let plain: String?
}

extension EdgeConfiguration {
    /// Classifies a request of listener `listener` against the Socket.IO path, then its plain
    /// Engine.IO endpoints; `nil` when it is for neither (an HTTP route's). Throws the Engine.IO
    /// error of a request to one of them that is not valid.
    func engineRequest(method: String, target: String, headers: [(name: String, value: String)],
                       listener: Int) throws(EngineError) -> ServedEngineRequest?
    {
        if let request = try EngineRequest(method: method, target: target, headers: headers,
                                           configuration: .init(path: path)) {
            return ServedEngineRequest(request: request, plain: nil)
        }
        for (endpoint, namespace) in engines(ofListener: listener).sorted(by: { $0.key > $1.key }) {
            if let request = try EngineRequest(method: method, target: target, headers: headers,
                                               configuration: .init(path: endpoint)) {
                return ServedEngineRequest(request: request, plain: namespace)
            }
        }
        return nil
    }
}
