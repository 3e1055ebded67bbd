// forkCount=2 and reuseForks=false would make Surefire run the JUnit Platform's discovery in Maven's
// own JVM, on the host, to list the test classes before it forks. The prepare goal refuses both,
// naming each, before a test class is compiled, so no test class ran anywhere.
def log = new File(basedir, 'build.log').text
def problems = []
['sets forkCount=2', 'sets reuseForks=false'].each { setting ->
    if (!(log =~ /maven-surefire-plugin ${setting}: with it Surefire and Failsafe list the test classes/)) {
        problems << "the build log does not name the refused setting: ${setting}"
    }
}
if (!log.contains("in Maven's own JVM, on this host")) problems << 'the refusal does not say why'
if (new File(basedir, 'target/test-classes').exists()) problems << 'test classes were compiled before the refusal'
if (new File(basedir, 'target/surefire-reports').exists()) problems << 'tests ran'
if (problems) {
    problems.each { println "[verify] FAIL ${it}" }
    throw new AssertionError('fork-isolation: ' + problems.join('; '))
}
println '[verify] fork-isolation: forkCount=2 and reuseForks=false refused before any test class was compiled'
return true
