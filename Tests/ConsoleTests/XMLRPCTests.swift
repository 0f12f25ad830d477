@testable import Console
import Testing

/// The bits of XML-RPC spoken with supervisord, on texts shaped as supervisord writes them.
@Suite struct XMLRPCTests {
    @Test func aCallNamesItsMethodAndParameters() {
        let body = XMLRPC.request(method: "supervisor.stopProcess", parameters: [.string("switchboard:a<b"), .boolean(true)])
        #expect(body.contains("<methodName>supervisor.stopProcess</methodName>"))
        #expect(body.contains("<value><string>switchboard:a&lt;b</string></value>"))
        #expect(body.contains("<value><boolean>1</boolean></value>"))
    }

    @Test func aFaultGivesItsString() {
        let fault = """
            <?xml version='1.0'?><methodResponse><fault><value><struct><member><name>faultCode</name>
            <value><int>70</int></value></member><member><name>faultString</name><value>
            <string>NOT_RUNNING: switchboard:chat</string></value></member></struct></value></fault></methodResponse>
            """
        #expect(XMLRPC.fault(in: fault) == "NOT_RUNNING: switchboard:chat")
        #expect(XMLRPC.fault(in: "<methodResponse><params></params></methodResponse>") == nil)
    }

    @Test func processInfoStructsGiveTheirStringMembers() {
        let response = """
            <methodResponse><params><param><value><array><data>
            <value><struct><member><name>name</name><value><string>chat</string></value></member>
            <member><name>group</name><value><string>switchboard</string></value></member>
            <member><name>pid</name><value><int>42</int></value></member></struct></value>
            <value><struct><member><name>name</name><value><string>other</string></value></member>
            <member><name>group</name><value><string>else</string></value></member></struct></value>
            </data></array></value></param></params></methodResponse>
            """
        let structs = XMLRPC.structs(in: response)
        #expect(structs.count == 2)
        #expect(structs[0]["name"] == "chat" && structs[0]["group"] == "switchboard" && structs[0]["pid"] == "42")
    }
}
