// The differential check: the same classes ran plainly (Jupiter on the host) and sandboxed (strict
// setup: the whole forked test JVM in a VM), each twice, once reported by method name and once by
// display name, and once more sandboxed with the fork's classes split over two VMs (the plugin's
// forkCount=2), whose merged event stream must make the same reports.
// For each pair it asserts that the Surefire reports agree: the same report files with the same
// counts, and per test case the same outcome, exception type, message, output and test-code stack
// frames. It also asserts that the plain run ran on the host and the sandboxed one in a guest.
// Throws on any difference; prints a comparison table to the build log.
import groovy.xml.XmlSlurper

def target = new File(basedir, 'target')
def problems = []
def fail = { String what -> problems << what; println "[verify] FAIL ${what}" }

def hostKernel = System.getProperty('os.version')
def hostBootId = new File('/proc/sys/kernel/random/boot_id').text.trim()

// OutputTest.recordsWhereItRuns prints where it ran; the values differ by design (checked below),
// so the comparison sees them masked
def WHERE = ~/(?m)^RAN-ON-(KERNEL|BOOT-ID)=(\S+)$/
// the host engine's own log (VM boot and the like, through slf4j-simple) and its progress lines
// ("[microvm-sandbox] starting a sandbox ...") land in whatever test Surefire has open; they are
// not output of the tests
def ENGINE_LOG = ~/(?m)^\[[^\]]+\] (TRACE|DEBUG|INFO|WARN|ERROR) dev\.microvmsandbox\..*\n?/
def PROGRESS = ~/(?m)^\[microvm-sandbox\] .*\n?/
def output = { String text -> text.replaceAll(ENGINE_LOG, '').replaceAll(PROGRESS, '').replaceAll(WHERE, 'RAN-ON-$1=...') }
// what of a stack trace must survive the trip: causes and the frames of the test code, with lines
def frames = { String trace ->
    (trace ?: '').readLines().findAll { it ==~ /^(Caused by|Suppressed): .*/ || it ==~ /^\s+at com\.example\.differential\..*/ }
            .collect { it.trim() }
}

/** One run: report file -> counts; "class | test case" -> what the report says about it; where it ran. */
def readRun = { String dir ->
    def folder = new File(target, dir)
    assert folder.isDirectory() : "no reports in ${folder}: that run did not complete"
    def run = [suites: [:], cases: [:], where: [:]]
    folder.listFiles().findAll { it.name ==~ /TEST-.*\.xml/ }.sort { it.name }.each { f ->
        def suite = new XmlSlurper().parse(f)
        run.suites[f.name] = ['tests', 'failures', 'errors', 'skipped'].collectEntries { [it, suite."@$it".text() as int] }
        suite.testcase.each { tc ->
            def kind = ['failure', 'error', 'skipped'].find { tc."$it".size() }
            def problem = kind ? tc."$kind"[0] : null
            def key = "${tc.@classname} | ${tc.@name}"
            // two invocations may share a display name: numbered in the order they ran
            for (int n = 2; run.cases.containsKey(key); n++) key = "${tc.@classname} | ${tc.@name} #${n}"
            def stdout = tc.'system-out'.text()
            (stdout =~ WHERE).each { run.where[it[1]] = it[2] }
            run.cases[key] = [
                file   : f.name,
                outcome: kind ?: 'passed',
                type   : problem == null ? '' : problem.@type.text(),
                message: problem == null ? '' : problem.@message.text(),
                stdout : output(stdout),
                stderr : output(tc.'system-err'.text()),
                frames : frames(problem == null ? '' : problem.text())]
        }
    }
    run
}

def brief = { String s -> s.replace('com.example.differential.', '').replace('\n', '\\n').with { it.size() > 70 ? it.take(67) + '...' : it } }

// Pairs of runs that must agree, and outcomes the plain run must show so that agreement is not empty
// (both runs broken the same way would agree too).
def byMethodName = [
        'com.example.differential.OutcomesTest | passes'                                : 'passed',
        'com.example.differential.OutcomesTest | failsWithDiff'                         : 'failure',
        'com.example.differential.OutcomesTest | errors'                                : 'error',
        'com.example.differential.OutcomesTest | disabledWithReason'                    : 'skipped',
        'com.example.differential.OutcomesTest | abortedByAssumption'                   : 'skipped',
        'com.example.differential.NestedTest$Inner$Deeper | deeperPasses'               : 'passed',
        'com.example.differential.TemplatesTest | parameterized(int)[2]'                : 'failure',
        'com.example.differential.TemplatesTest | repeated(RepetitionInfo)[2]'          : 'failure',
        'com.example.differential.TemplatesTest | dynamicTests()[2]'                    : 'failure',
        'com.example.differential.TemplatesTest | dynamicContainers()[2][1][1]'         : 'passed',
        'com.example.differential.BeforeAllFailureTest | '                              : 'error',
        'com.example.differential.AfterAllFailureTest | '                               : 'error',
        'com.example.differential.DisabledClassTest | neverRuns'                        : 'skipped',
        'com.example.differential.OutputTest | printsToStdoutAndStderr'                 : 'passed',
        'com.example.differential.BuildConfigurationTest | seesTheConfigurationParameter' : 'passed',
        'com.example.differential.BuildConfigurationTest | seesTheSystemProperty'       : 'passed']

def pairs = [
    ['plain-reports', 'sandboxed-reports', byMethodName],
    // the fork's classes split over two VMs: the merged event stream must make the same reports
    ['plain-reports', 'sandboxed-split-reports', byMethodName],
    ['plain-display-names-reports', 'sandboxed-display-names-reports', [
        'A class with a custom name | custom display name'                              : 'passed',
        'A class with a custom name | fails under a name with \u00fcmlauts, <markup> & emoji \uD83D\uDE00': 'failure',
        'A class with a custom name Names from underscores | reads like a sentence'     : 'passed',
        'NestedTest a nested class with a display name | namedNestedPasses'             : 'passed',
        'com.example.differential.TemplatesTest | parameterized(int)[2] 2'              : 'failure',
        'com.example.differential.TemplatesTest | parameterizedWithNamePattern(String, int, int) 2 plus 2 is 5': 'failure',
        'com.example.differential.TemplatesTest | repeatedWithName() repeatedWithName() round 2': 'passed',
        'com.example.differential.TemplatesTest | dynamicTests() dynamic b'             : 'failure',
        'com.example.differential.TemplatesTest | inner container container two dynamicContainers() deep passes': 'passed']],
]

def runs = [:]
pairs.each { plainDir, sandboxedDir, expected ->
    def plain = runs[plainDir] = readRun(plainDir)
    def sandboxed = runs[sandboxedDir] = readRun(sandboxedDir)
    def label = "${plainDir} vs ${sandboxedDir}"

    expected.each { key, outcome ->
        def got = plain.cases[key]?.outcome
        if (got != outcome) fail("${plainDir}: expected '${key}' to be ${outcome}, found ${got ?: 'no such test case'}")
    }

    println "[verify] ${label}"
    println "| report | plain tests/failures/errors/skipped | sandboxed | same |"
    println "| --- | --- | --- | --- |"
    (plain.suites.keySet() + sandboxed.suites.keySet()).sort().each { file ->
        def p = plain.suites[file], s = sandboxed.suites[file]
        def fmt = { m -> m == null ? 'missing' : "${m.tests}/${m.failures}/${m.errors}/${m.skipped}" }
        println "| ${brief(file - 'TEST-' - '.xml')} | ${fmt(p)} | ${fmt(s)} | ${p == s ? 'yes' : 'NO'} |"
        if (p != s) fail("${label}: ${file}: plain ${fmt(p)}, sandboxed ${fmt(s)}")
    }

    def differing = 0
    (plain.cases.keySet() + sandboxed.cases.keySet()).sort().each { key ->
        def p = plain.cases[key], s = sandboxed.cases[key]
        if (p == null || s == null) {
            differing++
            fail("${label}: test case '${key}' only in the ${p == null ? 'sandboxed' : 'plain'} run")
            return
        }
        p.keySet().findAll { p[it] != s[it] }.each { field ->
            differing++
            fail("${label}: '${key}' ${field}: plain <${p[field]}>, sandboxed <${s[field]}>")
        }
    }
    def byOutcome = { run -> run.cases.values().countBy { it.outcome }.sort() }
    println "| test cases | ${plain.cases.size()} ${byOutcome(plain)} | ${sandboxed.cases.size()} ${byOutcome(sandboxed)} | ${differing ? "NO, ${differing} differences" : 'yes'} |"
}

def buildLog = new File(basedir, 'build.log')
if (!(buildLog.isFile() && buildLog.text =~ /jvmRun1: \d+ test classes split into 2 parts, run in 2 sandboxes at once/)) {
    fail('sandboxed-split: the launcher did not split the fork over two sandboxes')
}

// Where each run ran: the plain runs on this host, the sandboxed ones in a guest (another boot;
// normally another kernel too).
println "[verify] host kernel ${hostKernel}, boot ${hostBootId}"
runs.each { dir, run ->
    def kernel = run.where['KERNEL'], bootId = run.where['BOOT-ID']
    println "[verify] ${dir}: ran on kernel ${kernel}, boot ${bootId}"
    if (kernel == null || bootId == null) { fail("${dir}: OutputTest.recordsWhereItRuns left no record"); return }
    if (dir.startsWith('plain')) {
        if (bootId != hostBootId || kernel != hostKernel) fail("${dir}: the plain run did not run on the host (kernel ${kernel}, boot ${bootId})")
    } else {
        if (bootId == hostBootId) fail("${dir}: the sandboxed run ran on the host (boot ${bootId})")
        if (kernel == hostKernel) println "[verify] note: the guest runs the host's kernel release ${kernel} (another boot, so another machine)"
    }
}

if (problems) {
    throw new AssertionError("plain and sandboxed reports differ (${problems.size()}):\n  " + problems.join('\n  '))
}
println "[verify] differential: ${runs.values().sum { it.cases.size() }} test cases in ${runs.size()} runs; plain and sandboxed reports agree"
return true
