import groovy.xml.XmlSlurper

def check = evaluate(new File(itCommon))
check(basedir, [
    'com.example.orders.OrderTotalsTest'     : ['sumsLines', 'appliesDiscountRoundingHalfUp', 'rejectsNonPositiveQuantity',
                                                'recordsTheKernelItRunsOn'],
    'com.example.orders.HostIsolationTest'   : ['hostEnvironmentDoesNotLeakIn', 'hostSecretsAreNotVisible', 'cannotReachTheInternet',
                                                'recordsTheMachineItRunsOn'],
    'com.example.orders.CustomRedisImageTest': ['runsTheImageBuiltInTheSandbox', 'recordsTheMachineItRunsOn'],
], 3)

// reuseForks=false: each class ran in a sandbox of its own (three boots); forkCount=2: two of those
// sandboxes existed at once. The launchers print when a fork's sandbox starts booting and when the
// fork exits; Surefire relays both to the build log as they happen, so their order in the log shows,
// without any clock, whether two were alive together.
def bootByClass = [:]
new File(basedir, 'target/surefire-reports').eachFileMatch(~/TEST-.*\.xml/) { f ->
    def suite = new XmlSlurper().parse(f)
    suite.testcase.each { tc -> (tc.'system-out'.text() =~ /SANDBOX-BOOT-ID=(\S+)/).each { bootByClass[tc.@classname.text()] = it[1] } }
}
println "[verify] boot id per class: ${bootByClass}"
assert bootByClass.size() == 3 && bootByClass.values().toSet().size() == 3 :
        "reuseForks=false must give each class its own VM: ${bootByClass}"
int alive = 0, most = 0
new File(basedir, 'build.log').eachLine { line ->
    if (line =~ /\[microvm-sandbox\] jvmRun\d+: booting a sandbox/) { alive++; most = Math.max(most, alive) }
    if (line =~ /\[microvm-sandbox\] jvmRun\d+: (fork exited|the sandbox|sandbox \S+ failed)/) alive--
}
println "[verify] most sandboxes alive at once (from the launchers' lines in the build log): ${most}"
assert most >= 2 : 'forkCount=2 never had two sandboxes at once'
println '[verify] agent-verify: three classes in three sandboxes, two at once'
