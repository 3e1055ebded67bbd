// Checks the hostile-fork runs from outside: no attack left a marker or opened a connection on the
// host, no report file landed outside a reports folder, every attacked class was reported as passed
// in a guest (another boot than the host's), every attack did run there (its marker is in the
// guest's listing), the launcher dropped the forged events, and the run without the plugin stopped
// at the guard with a message naming what is missing. Writes a table to the build log and to
// target/attack-table.md; throws on any problem.
import groovy.xml.XmlSlurper

def target = new File(basedir, 'target')
def runs = new File(target, 'runs')
def buildLog = new File(basedir, 'build.log')
def log = buildLog.isFile() ? buildLog.text : ''
def hostBoot = new File('/proc/sys/kernel/random/boot_id').text.trim()
def problems = []
def rows = []
def row = { String what, String expected, String observed, boolean ok ->
    rows << [what, expected, (ok ? '' : '**NOT CONTAINED** ') + observed]
    if (!ok) { problems << "${what}: expected ${expected}; observed ${observed}"; println "[verify] FAIL ${what}: ${observed}" }
}

def attacks = ['static-initialiser', 'enum-in-annotation', 'method-orderer', 'display-name-generator', 'registered-extension',
               'service-LauncherSessionListener', 'service-TestExecutionListener', 'service-PostDiscoveryFilter', 'service-TestEngine']
def classes = ['StaticInitialiserAttackTest', 'EnumInAnnotationAttackTest', 'OrdererAttackTest', 'DisplayNameGeneratorAttackTest',
               'RegisteredExtensionAttackTest', 'ZzWhereAttacksRanTest']
def sandboxedRuns = ['surefire-3.6.1', 'surefire-3.5.4', 'surefire-3.5.2', 'surefire-3.2.5', 'failsafe-3.5.4']

// ---- the host, after all runs ------------------------------------------------------------------
def hostMarkers = new File(target, 'host-markers')
def escaped = hostMarkers.isDirectory() ? hostMarkers.list().sort() : []
row('every attack, every run: a marker file in the host folder the build names', 'no file',
        escaped ? "found: ${escaped}" : 'none', escaped.isEmpty())

def connections = []
runs.eachDir { run ->
    def c = new File(run, 'listener/connections.log')
    if (c.isFile()) connections.addAll(c.readLines().findAll { it.trim() }.collect { "${run.name}: ${it}" })
}
row('every attack, every run: a connection to the host listener (loopback, host address, 10.0.2.2)', 'none',
        connections ? connections.take(5).join(' / ') : 'none', connections.isEmpty())

def outside = []
new File('/tmp').eachFile { if (it.name.startsWith('msb-hostile-fork-evil')) outside << it.path }
target.eachFileRecurse { f ->
    if (f.name.contains('msb-hostile-fork-evil') && !f.parentFile.name.equals('reports')) outside << f.path
}
def sanitised = []
runs.eachDir { run -> new File(run, 'reports').eachFileMatch(~/.*msb-hostile-fork-evil.*/) { sanitised << it.name } }
row('forged events naming a report `../../../tmp/msb-hostile-fork-evil` (`ForgedEventsTest`)',
        'no file outside the reports folders (Surefire sanitises the name)',
        "outside: ${outside ?: 'none'}; inside: ${sanitised.unique().take(2)}", outside.isEmpty())

// ---- each sandboxed run --------------------------------------------------------------------------
def results = [:]
sandboxedRuns.each { runName ->
    def reports = new File(runs, "${runName}/reports")
    def ran = [:]
    def boots = [] as Set
    def markersHere = null
    if (reports.isDirectory()) {
        reports.eachFileMatch(~/TEST-.*\.xml/) { f ->
            def suite = new XmlSlurper().parse(f)
            suite.testcase.each { tc ->
                def cls = tc.@classname.text().replaceAll(/^.*\./, '')
                def status = tc.failure.size() ? 'failed' : tc.error.size() ? 'error' : tc.skipped.size() ? 'skipped' : 'passed'
                ran[cls] = (ran[cls] ?: []) + ["${tc.@name}": status]
                def out = tc.'system-out'.text()
                (out =~ /SANDBOX-BOOT-ID=(\S+)/).each { boots << it[1] }
                (out =~ /MARKERS-HERE=(\S*)/).each { markersHere = it[1].split(',') as List }
            }
        }
    }
    def missing = classes.findAll { c -> !(ran[c]?.any { it.values().every { s -> s == 'passed' } }) }
    def inGuest = !boots.isEmpty() && !boots.contains(hostBoot)
    def notRan = markersHere == null ? attacks : attacks - markersHere
    results[runName] = [missing: missing, boots: boots, notRan: notRan]
    row("`${runName}`: each attacked class reported, passed, in a guest", 'all passed; boot id not the host\'s',
            "classes missing or not passed: ${missing ?: 'none'}; boot ids ${boots.collect { it.take(8) }} (host ${hostBoot.take(8)})",
            missing.isEmpty() && inGuest)
    row("`${runName}`: every attack ran (its marker is in the guest's own listing)", attacks.size() + ' markers in the guest',
            notRan ? "did not run: ${notRan}" : "all ${attacks.size()}", notRan.isEmpty())
}

def dropped = (log =~ /\[microvm-sandbox\] jvmRun\d+: dropped \d+ malformed Surefire event/).size()
def garbage = (log =~ /\[microvm-sandbox\] jvmRun\d+: dropped \d+ bytes of the fork's stdout that were not Surefire events/).size()
row('forged frames with a control character and a 2 GiB string, and garbage, on the raw stdout', 'dropped by the launcher, said once per fork',
        "${dropped} fork(s) reported malformed events, ${garbage} reported garbage (of ${sandboxedRuns.size()} runs)",
        dropped >= sandboxedRuns.size() && garbage >= sandboxedRuns.size())

// ---- the run without the plugin ------------------------------------------------------------------
def guard = log.contains('microvm.sandbox.mode=strict, but this test JVM runs on the host') &&
        log.contains("microvm-sandbox-maven-plugin's prepare goal")
def noPluginReports = new File(runs, 'no-plugin/reports')
def passedOnHost = []
if (noPluginReports.isDirectory()) {
    noPluginReports.eachFileMatch(~/TEST-.*\.xml/) { f ->
        new XmlSlurper().parse(f).testcase.each { tc -> if (!tc.failure.size() && !tc.error.size() && !tc.skipped.size()) passedOnHost << tc.@name.text() }
    }
}
row('strict mode in `junit-platform.properties`, no plugin (no sandbox)', 'the build fails at the guard, naming the missing plugin; no test runs',
        "guard message in the log: ${guard ? 'yes' : 'NO'}; tests that ran on the host: ${passedOnHost ?: 'none'}",
        guard && passedOnHost.isEmpty())

// how long each Maven run took (Maven's own last line per run, in the order invoker.properties lists them)
def times = (log =~ /\[INFO\] Total time:\s+([^\n]+)/).collect { it[1].trim() }
println "[verify] hostile-fork: run times ${['no-plugin'] + sandboxedRuns} = ${times}"

def table = new StringBuilder('| attack | expected | observed |\n| --- | --- | --- |\n')
rows.each { r -> table << '| ' << r.collect { it.toString().replace('|', '\\|').replace('\n', ' ') }.join(' | ') << ' |\n' }
new File(target, 'attack-table.md').text = table.toString()
println "[verify] hostile-fork:\n${table}"
if (problems) {
    throw new AssertionError("hostile-fork: ${problems.size()} problem(s): " + problems.join('; '))
}
println "[verify] hostile-fork: all ${rows.size()} checks contained"
return true
