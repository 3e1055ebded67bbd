// Checks the three fork-isolation runs from outside.
// refused: Surefire's own forkCount=2 and reuseForks=false would make Surefire run the JUnit
//   Platform's discovery in Maven's own JVM, on the host; the prepare goal refused both, naming each,
//   before a test class was compiled, so no test class ran anywhere.
// per-class: the plugin's forkCount=2, reuseForks=false: each class reported with both tests passed,
//   in a VM of its own (three boot ids, none the host's), two VMs started before the first ended, and
//   each class's output in its own report only (the launcher merged the VMs' event streams).
// shared: forkCount=2, reuseForks=true, in a Failsafe fork: the same, in two VMs (two boot ids among
//   three classes), and Failsafe's summary counts all six tests.
import groovy.xml.XmlSlurper

def log = new File(basedir, 'build.log').text
def runs = new File(basedir, 'target/runs')
def hostBoot = new File('/proc/sys/kernel/random/boot_id').text.trim()
def classes = ['AlphaTest', 'BravoTest', 'CharlieTest']
def problems = []

// ---- refused -------------------------------------------------------------------------------------
['sets forkCount=2', 'sets reuseForks=false'].each { setting ->
    if (!(log =~ /maven-surefire-plugin ${setting}: with it Surefire and Failsafe list the test classes/)) {
        problems << "refused: the build log does not name the refused setting: ${setting}"
    }
}
if (!log.contains("in Maven's own JVM, on this host")) problems << 'refused: the refusal does not say why'
if (!log.contains("give microvm-sandbox-maven-plugin the forkCount instead")) problems << 'refused: the refusal does not say what to do'
if (new File(runs, 'refused/reports').exists()) problems << 'refused: tests ran'

// ---- the split runs ------------------------------------------------------------------------------
def check = { String run, int expectedMachines ->
    def reports = new File(runs, "${run}/reports")
    if (!reports.isDirectory()) { problems << "${run}: no reports"; return }
    def boots = [:]
    classes.each { cls ->
        def name = "com.example.isolation.${cls}"
        def xml = new File(reports, "TEST-${name}.xml")
        if (!xml.isFile()) { problems << "${run}: ${cls} has no report"; return }
        def suite = new XmlSlurper().parse(xml)
        def passed = suite.testcase.findAll { !it.failure.size() && !it.error.size() && !it.skipped.size() }*.@name*.text()
        if (passed.sort() != ['recordsTheMachineItRunsOn', 'runsItsOwnSecondTest']) {
            problems << "${run}: ${cls} passed ${passed}, not both tests"
        }
        def output = new File(reports, "${name}-output.txt")
        if (!output.isFile()) { problems << "${run}: ${cls} has no output file"; return }
        def text = output.text
        def named = (text =~ /CLASS=(\w+)/).collect { it[1] }
        if (named != [cls, cls]) problems << "${run}: ${cls}'s output names ${named}, not itself twice"
        def boot = (text =~ /SANDBOX-BOOT-ID=(\S+)/).collect { it[1] }
        if (boot.size() != 1) { problems << "${run}: ${cls} recorded ${boot.size()} boot ids"; return }
        if (boot[0] == hostBoot) problems << "${run}: ${cls} ran on the host"
        boots[cls] = boot[0]
    }
    def machines = boots.values().toSet().size()
    println "[verify] ${run}: boot ids ${boots}"
    if (boots.size() == classes.size() && machines != expectedMachines) {
        problems << "${run}: the classes ran in ${machines} VMs, expected ${expectedMachines}"
    }
}
check('per-class', 3)
check('shared', 2)

// the per-class run: three parts, two started before any ended
def perClassLog = log.substring(Math.max(0, log.indexOf('3 test classes split into 3 parts, run in 2 sandboxes at once')))
if (!log.contains('3 test classes split into 3 parts, run in 2 sandboxes at once')) problems << 'per-class: the log does not say it split the classes over two sandboxes at once'
def secondBooting = perClassLog.indexOf('jvmRun1.2: booting a sandbox')
def firstExit = perClassLog.indexOf(': fork exited with status')
if (secondBooting < 0 || firstExit < 0 || secondBooting > firstExit) {
    problems << 'per-class: the second sandbox did not start before the first fork ended'
}
if (!log.contains('3 test classes split into 2 parts, run in 2 sandboxes at once')) problems << 'shared: the log does not say it split the classes into two parts'
def summary = new File(runs, 'shared/failsafe-summary.xml')
if (!summary.isFile()) {
    problems << 'shared: no Failsafe summary (the run did not go through Failsafe)'
} else {
    def s = new XmlSlurper().parse(summary)
    if (s.completed.text() != '6' || s.failures.text() != '0' || s.errors.text() != '0') {
        problems << "shared: Failsafe's summary says completed ${s.completed}, failures ${s.failures}, errors ${s.errors}"
    }
}

if (problems) {
    problems.each { println "[verify] FAIL ${it}" }
    throw new AssertionError('fork-isolation: ' + problems.join('; '))
}
println '[verify] fork-isolation: Surefire\'s forkCount refused; the plugin\'s forkCount=2 gave a VM per class (two at once) and two shared VMs in a Failsafe fork'
return true
