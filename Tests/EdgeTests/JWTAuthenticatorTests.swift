import Contracts
import Foundation
import Testing
@testable import Edge

@Suite struct JWTAuthenticatorTests {
    static let secret = String(repeating: "x", count: 32)

    func authenticator(role: String? = nil) async -> JWTAuthenticator {
        await JWTAuthenticator(configuration: .init(secret: Self.secret, requiredRole: role))
    }

    @Test func acceptsAValidTokenAndReadsTheIdentity() async throws {
        let auth = await authenticator(role: "USER")
        let token = try await auth.sign(id: "507f1f77bcf86cd799439011", role: "USER", name: "Ann",
                                        expires: Date().addingTimeInterval(600))
        #expect(await auth.authenticate(token: token) ==
            .success(Identity(id: "507f1f77bcf86cd799439011", role: "USER", name: "Ann")))
    }

    @Test func acceptsATokenMadeByAnotherLibrary() async {
        // PyJWT: jwt.encode({"id": "u1"}, "x" * 32, algorithm="HS256")
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6InUxIn0.Rj2A4-I0vpD2is5W23-YEN30M5Jbfl3_NwSe0bwTQcU"
        #expect(await authenticator().authenticate(token: token) == .success(Identity(id: "u1")))
    }

    @Test func missingTokenIsRequired() async {
        #expect(await authenticator().authenticate(token: nil) == .failure(.tokenRequired))
        #expect(await authenticator().authenticate(token: "") == .failure(.tokenRequired))
        #expect(AuthFailure.tokenRequired.message == "Authentication token required")
    }

    @Test(arguments: [
        "garbage",
        "a.b.c",
        // alg none, PyJWT: jwt.encode({"id": "u1"}, None, algorithm="none")
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpZCI6InUxIn0.",
        // signed with another key
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6InUxIn0.Rj2A4-I0vpD2is5W23-YEN31M5Jbfl3_NwSe0bwTQcU",
    ])
    func badTokensAreInvalid(token: String) async {
        #expect(await authenticator().authenticate(token: token) == .failure(.invalidToken))
    }

    @Test func expiredTokenIsInvalid() async throws {
        let auth = await authenticator()
        let token = try await auth.sign(id: "u1", role: nil, name: nil, expires: Date().addingTimeInterval(-60))
        #expect(await auth.authenticate(token: token) == .failure(.invalidToken))
        #expect(AuthFailure.invalidToken.message == "Invalid or expired token")
    }

    @Test func tokenFromAnotherSecretIsInvalid() async throws {
        let other = await JWTAuthenticator(configuration: .init(secret: String(repeating: "y", count: 32)))
        let token = try await other.sign(id: "u1", role: "USER", name: nil, expires: nil)
        #expect(await authenticator().authenticate(token: token) == .failure(.invalidToken))
    }

    @Test func wrongRoleIsDenied() async throws {
        let auth = await authenticator(role: "TELECALLER")
        let token = try await auth.sign(id: "u1", role: "USER", name: nil, expires: nil)
        #expect(await auth.authenticate(token: token) == .failure(.accessDenied))
        #expect(AuthFailure.accessDenied.payload == ["message": "Access denied"])
    }

    @Test func numericIdClaimBecomesText() async throws {
        // PyJWT: jwt.encode({"userId": 42, "role": "USER"}, "x" * 32, algorithm="HS256")
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VySWQiOjQyLCJyb2xlIjoiVVNFUiJ9.D0x7NHsYrUdD3uX-gs5A0nc57uO3N7g1THkFqf2Gl30"
        let result = await authenticator().authenticate(token: token)
        #expect(result == .success(Identity(id: "42", role: "USER")))
    }
}
