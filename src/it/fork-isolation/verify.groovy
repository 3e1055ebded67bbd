// the prepare goal's default isolation (reuseForks=false, which the pom does not set): each class ran
// in a sandbox of its own (three boot ids); forkCount=2: two of those
// sandboxes existed at once. The launchers say when a fork's sandbox starts booting and when the fork
// has exited; Surefire relays both to the build log as they come, so their order in the log shows,
// without comparing any clocks, whether two were alive together.
import groovy.xml.XmlSlurper

def check = evaluate(new File(itCommon))
check(basedir, [
    'com.example.isolation.AlphaTest'  : ['recordsTheMachineItRunsOn'],
    'com.example.isolation.BravoTest'  : ['recordsTheMachineItRunsOn'],
    'com.example.isolation.CharlieTest': ['recordsTheMachineItRunsOn'],
], 3)

def buildLog = new File(basedir, 'build.log').text
assert buildLog.contains('every test class gets a sandbox of its own (reuseForks=false') :
        'the prepare goal did not say that it made every class a sandbox of its own'

def bootByClass = [:]
new File(basedir, 'target/surefire-reports').eachFileMatch(~/TEST-.*\.xml/) { f ->
    new XmlSlurper().parse(f).testcase.each { tc ->
        (tc.'system-out'.text() =~ /SANDBOX-BOOT-ID=(\S+)/).each { bootByClass[tc.@classname.text()] = it[1] }
    }
}
println "[verify] boot id per class: ${bootByClass}"
assert bootByClass.size() == 3 && bootByClass.values().toSet().size() == 3 :
        "the default isolation must give each class a VM of its own: ${bootByClass}"

int alive = 0, most = 0
def order = []
new File(basedir, 'build.log').eachLine { line ->
    def m = line =~ /\[microvm-sandbox\] (jvmRun\d+): (booting a sandbox|fork exited)/
    if (m.find()) {
        order << "${m.group(1)} ${m.group(2)}"
        if (m.group(2) == 'booting a sandbox') { alive++; most = Math.max(most, alive) } else { alive-- }
    }
}
println "[verify] the launchers' lines in order: ${order}"
println "[verify] most sandboxes alive at once: ${most}"
assert order.count { it.endsWith('booting a sandbox') } == 3 && order.count { it.endsWith('fork exited') } == 3 :
        'expected three forks, each booting and exiting once'
assert most >= 2 : 'forkCount=2 never had two sandboxes at once'
println '[verify] fork-isolation: three classes in three sandboxes, two at once'
return true
