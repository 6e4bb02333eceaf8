import Foundation
import Testing

@testable import LanderHTTP

/// The dashboard's templates on its views: what a page shows behind a computed flag (`{{#hasOpen}}`)
/// appears, which Mustache's reflection alone never showed.
@Suite struct DashboardRenderTests {
    @Test func theGridListsRunningDeploymentsWithTheServerRunningEach() {
        let open = DashboardViews.Open(
            id: "20261207-070000-abcd1234", project: "shop", environment: "prod", version: "2.1", status: "running",
            runner: "node-b:4242")
        let grid = DashboardViews.Grid(workspace: "w", environments: ["prod"], rows: [], open: [open])
        let html = DashboardTemplates.render(grid, "grid")
        #expect(html.contains("<h2>Running and interrupted</h2>"), "\(html)")
        #expect(html.contains(#"<a href="/deployments/20261207-070000-abcd1234">shop → prod"#), "\(html)")
        #expect(html.contains(#"<a href="/servers">node-b:4242</a>"#), "\(html)")
        let idle = DashboardTemplates.render(
            DashboardViews.Grid(workspace: "w", environments: ["prod"], rows: [], open: []), "grid")
        #expect(!idle.contains("Running and interrupted"))
    }
}
