// The engine path in a project that declares only the Jupiter API: three selections, each run
// plainly (Jupiter on the host) and sandboxed (every class in a VM). For each pair it asserts that
// the Surefire reports agree (same report files and counts, per test case the same outcome,
// exception type and message), that they hold exactly the selected tests, and that the sandboxed
// runs ran in a guest. Throws on any difference; prints a table to the build log.
import groovy.xml.XmlSlurper

def target = new File(basedir, 'target')
def problems = []
def fail = { String what -> problems << what; println "[verify] FAIL ${what}" }
def hostBootId = new File('/proc/sys/kernel/random/boot_id').text.trim()

def readRun = { String dir ->
    def folder = new File(target, dir)
    assert folder.isDirectory() : "no reports in ${folder}: that run did not complete"
    def run = [suites: [:], cases: [:], bootIds: [] as Set]
    folder.listFiles().findAll { it.name ==~ /TEST-.*\.xml/ }.sort { it.name }.each { f ->
        def suite = new XmlSlurper().parse(f)
        run.suites[f.name] = ['tests', 'failures', 'errors', 'skipped'].collectEntries { [it, suite."@$it".text() as int] }
        suite.testcase.each { tc ->
            def kind = ['failure', 'error', 'skipped'].find { tc."$it".size() }
            def problem = kind ? tc."$kind"[0] : null
            def key = "${tc.@classname.text() - 'com.example.enginepath.'} | ${tc.@name}"
            (tc.'system-out'.text() =~ /RAN-ON-BOOT-ID=(\S+)/).each { run.bootIds << it[1] }
            run.cases[key] = [
                outcome: kind ?: 'passed',
                type   : problem == null ? '' : problem.@type.text(),
                message: problem == null ? '' : problem.@message.text()]
        }
    }
    run
}

// what each selection must run (a prefix of the test case names) and must not
def selections = [
    all: [
        runs   : ['SelectionTest | chosenOne', 'SelectionTest | chosenParameterized(int)[3]', 'SelectionTest | neither',
                  'SelectionTest$Inner | inNested', 'ParametersTest | seesTheBuildsConfiguration',
                  'ParametersTest | adds(int, int, int)[2]', 'ParametersTest | twice()[2]'],
        skips  : [],
        outcome: ['ParametersTest | seesTheBuildsConfiguration(String)': 'passed', 'ParametersTest | adds(int, int, int)[2]': 'failure',
                  'SelectionTest | chosenParameterized(int)[1]': 'failure', 'SelectionTest | chosenParameterized(int)[2]': 'passed']],
    'by-method': [
        runs   : ['SelectionTest | chosenOne', 'SelectionTest | chosenAndFast', 'SelectionTest | chosenParameterized(int)[1]',
                  'ParametersTest | twice()[1]', 'ParametersTest | twice()[2]'],
        skips  : ['SelectionTest | neither', 'SelectionTest | notChosenButFast', 'SelectionTest | fastButFlaky',
                  'ParametersTest | seesTheBuildsConfiguration', 'ParametersTest | adds'],
        outcome: [:]],
    'by-group': [
        runs   : ['SelectionTest | chosenAndFast', 'SelectionTest | notChosenButFast', 'SelectionTest$Inner | inNested',
                  'SelectionTest$Inner | alsoInNested'],
        skips  : ['SelectionTest | fastButFlaky', 'SelectionTest | chosenOne', 'SelectionTest | neither',
                  'SelectionTest | chosenParameterized', 'ParametersTest'],
        outcome: [:]],
]

def total = 0
selections.each { name, expected ->
    def plain = readRun("plain-${name}")
    def sandboxed = readRun("sandboxed-${name}")
    def label = "plain-${name} vs sandboxed-${name}"
    println "[verify] ${label}"
    println "| report | plain tests/failures/errors/skipped | sandboxed | same |"
    println "| --- | --- | --- | --- |"
    (plain.suites.keySet() + sandboxed.suites.keySet()).sort().each { file ->
        def p = plain.suites[file], s = sandboxed.suites[file]
        def fmt = { m -> m == null ? 'missing' : "${m.tests}/${m.failures}/${m.errors}/${m.skipped}" }
        println "| ${file - 'TEST-com.example.enginepath.' - '.xml'} | ${fmt(p)} | ${fmt(s)} | ${p == s ? 'yes' : 'NO'} |"
        if (p != s) fail("${label}: ${file}: plain ${fmt(p)}, sandboxed ${fmt(s)}")
    }
    (plain.cases.keySet() + sandboxed.cases.keySet()).sort().each { key ->
        def p = plain.cases[key], s = sandboxed.cases[key]
        if (p == null || s == null) {
            fail("${label}: test case '${key}' only in the ${p == null ? 'sandboxed' : 'plain'} run")
        } else if (p != s) {
            fail("${label}: '${key}': plain ${p}, sandboxed ${s}")
        }
    }
    println "| test cases | ${plain.cases.size()} | ${sandboxed.cases.size()} | ${plain.cases.keySet() == sandboxed.cases.keySet() ? 'yes' : 'NO'} |"
    println "[verify] ${name}: sandboxed ran ${sandboxed.cases.keySet().sort()}"
    total += sandboxed.cases.size()

    // agreement is not enough (both runs could select wrongly alike): the selection itself
    expected.runs.each { prefix ->
        if (!sandboxed.cases.keySet().any { it.startsWith(prefix) }) fail("sandboxed-${name}: nothing ran as '${prefix}'")
    }
    expected.skips.each { prefix ->
        if (sandboxed.cases.keySet().any { it.startsWith(prefix) }) fail("sandboxed-${name}: '${prefix}' ran, but the selection leaves it out")
    }
    expected.outcome.each { key, outcome ->
        if (sandboxed.cases[key]?.outcome != outcome) fail("sandboxed-${name}: '${key}' is ${sandboxed.cases[key]?.outcome}, expected ${outcome}")
    }
    // where they ran: plainly on this host, sandboxed in a guest (another boot)
    if (name != 'by-group') {
        println "[verify] ${name}: host boot ${hostBootId}; plain ran on ${plain.bootIds}, sandboxed on ${sandboxed.bootIds}"
        if (plain.bootIds != [hostBootId] as Set) fail("plain-${name} did not run on the host: ${plain.bootIds}")
        if (sandboxed.bootIds.isEmpty() || sandboxed.bootIds.contains(hostBootId)) fail("sandboxed-${name} did not run in a guest: ${sandboxed.bootIds}")
    }
}

if (problems) {
    throw new AssertionError("engine path: plain and sandboxed runs differ or select wrongly (${problems.size()}):\n  " + problems.join('\n  '))
}
println "[verify] engine-path: ${total} sandboxed test cases in ${selections.size()} selections agree with the plain runs"
return true
