import LanderLoading
import LanderModel
import Testing

/// Plugin references are parsed once, when lander.yml is loaded.
@Suite struct PluginReferenceTests {
    @Test func hookAndRollingReferencesArriveParsed() throws {
        let project = try ProjectLoader.load(
            yaml: """
                project: refs
                environments:
                  test:
                    targets:
                      a: { roles: [app] }
                hooks:
                  post_deploy: [notify.webhook, { hook: notify }]
                steps:
                  - name: roll
                    on: app
                    rolling: { drain: haproxy.drain, precheck: none, verify: none }
                    run: ["true"]
                """, file: "lander.yml")
        #expect(project.hooks.map(\.plugin) == [PluginReference("notify.webhook"), PluginReference("notify")])
        #expect(project.hooks.first?.plugin.module == "notify" && project.hooks.first?.plugin.function == "webhook")
        #expect(project.hooks.last?.plugin.function == nil)
        let drain = try #require(project.steps.first?.rolling?.drain)
        #expect(drain.plugin.module == "haproxy")
        #expect(drain.plugin.sibling("undrain") == "haproxy.undrain")
        var changed = drain
        changed.reference = "lb.out"
        #expect(changed.plugin.module == "lb" && changed.plugin.function == "out", "parsed again when set")
    }
}
