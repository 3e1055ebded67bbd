// The service's reports: the sandboxed build (strict setup, every class in a microVM) has the
// same test cases with the same outcomes as the build without the sandbox against the host's
// podman; the Spring Boot 3.1 build passed in the sandbox too; and the sandboxed builds ran in a
// VM (the fork launcher's lines on the build log). Stops the host's podman whatever happens.
import groovy.xml.XmlSlurper

def read = { String dir ->
    def reports = new File(basedir, "target/${dir}")
    assert reports.isDirectory() : "no reports in ${reports}"
    def cases = new TreeMap<String, String>()
    def output = new StringBuilder()
    reports.eachFileMatch(~/TEST-.*\.xml/) { f ->
        def suite = new XmlSlurper().parse(f)
        output << suite.'system-out'.text() << suite.'system-err'.text()
        suite.testcase.each { tc ->
            def outcome = tc.failure.size() ? 'failed' : tc.error.size() ? 'error' : tc.skipped.size() ? 'skipped' : 'passed'
            cases["${tc.@classname} | ${tc.@name}".toString()] = outcome
            output << tc.'system-out'.text() << tc.'system-err'.text()
        }
    }
    return [cases: cases, output: output.toString()]
}

try {
    def plain = read('surefire-reports-without-sandbox')
    def sandboxed = read('surefire-reports')
    def boot31 = read('surefire-reports-boot-3.1')
    // a case's key is "class | test": two columns; the Boot 3.1 build runs the JPA class alone
    def table = new StringBuilder('| class | test | without sandbox | sandboxed | sandboxed, Boot 3.1 + mirror |\n| --- | --- | --- | --- | --- |\n')
    (plain.cases.keySet() + sandboxed.cases.keySet() + boot31.cases.keySet()).toSorted().each { k ->
        table << "| ${k} | ${plain.cases[k] ?: 'not run'} | ${sandboxed.cases[k] ?: 'not run'} | ${boot31.cases[k] ?: 'not run'} |\n"
    }
    println table
    new File(basedir, 'target/report-table.md').text = table.toString()

    def problems = []
    if (plain.cases.size() < 14) problems << "the build without the sandbox ran ${plain.cases.size()} test cases, expected 14"
    if (plain.cases != sandboxed.cases) problems << "the sandboxed reports differ from those without the sandbox"
    plain.cases.findAll { it.value != 'passed' }.each { problems << "${it.key} ${it.value} without the sandbox" }
    def boot31Expected = plain.cases.keySet().findAll { it =~ /BookRepositoryTest/ }
    if (boot31.cases.keySet() != boot31Expected) problems << "the Boot 3.1 build ran ${boot31.cases.keySet()}, expected ${boot31Expected}"
    boot31.cases.findAll { it.value != 'passed' }.each { problems << "${it.key} ${it.value} on Boot 3.1" }
    // the launcher's lines (the fork's stderr, which Surefire prints): one fork per sandboxed build
    def log = new File(basedir, 'build.log').text
    def ready = (log =~ /\[microvm-sandbox\] jvmRun\d+: sandbox \S+ ready in /).count
    if (ready < 2) problems << "the build log shows ${ready} sandboxes ready, expected one per sandboxed build (2)"
    if (plain.output.contains('[microvm-sandbox]')) problems << 'the build without the sandbox used a sandbox'
    if (!(boot31.output =~ /registry\.example\.com\/mirror\/postgres:16-alpine is the preloaded image/)) {
        problems << 'the Boot 3.1 build did not resolve the mirror-prefixed name to the preloaded image'
    }
    if (problems) {
        problems.each { println "[verify] FAIL ${it}" }
        throw new AssertionError('sample service: ' + problems.join('; '))
    }
    println "[verify] service: ${plain.cases.size()} test cases, the same outcomes with and without the sandbox; Boot 3.1 passed"
    return true
} finally {
    def stop = [new File(repoDir, 'sandbox-image/host-tools/host-podman.sh').path, 'stop', hostPodmanDir].execute()
    stop.waitForProcessOutput(System.out, System.err)
}
