// Shared by the verify.groovy scripts: reads target/surefire-reports/TEST-*.xml and checks that
// the expected tests ran, passed, and ran in the sandbox (the kernel they printed as
// SANDBOX-KERNEL=... differs from the host's). Evaluated by each project's verify.groovy; the
// value of this script is the check closure.
import groovy.xml.XmlSlurper

return { File basedir, Map<String, List<String>> expected, int kernelRecords ->
    def reports = new File(basedir, 'target/surefire-reports')
    assert reports.isDirectory() : "no Surefire reports in ${reports}"
    def hostKernel = System.getProperty('os.version')
    def ran = [:]          // class -> [method -> status]
    def kernels = []
    def bootIds = []
    def hostBootId = new File('/proc/sys/kernel/random/boot_id').text.trim()
    def collect = { String text ->
        (text =~ /SANDBOX-KERNEL=(\S+)/).each { kernels << it[1] }
        (text =~ /SANDBOX-BOOT-ID=(\S+)/).each { bootIds << it[1] }
    }
    reports.eachFileMatch(~/TEST-.*\.xml/) { f ->
        def suite = new XmlSlurper().parse(f)
        suite.testcase.each { tc ->
            def cls = tc.@classname.text()
            def name = tc.@name.text().replaceAll(/\(.*$/, '').replaceAll(/\[.*$/, '')
            def status = tc.failure.size() ? 'failed' : tc.error.size() ? 'error' : tc.skipped.size() ? 'skipped' : 'passed'
            def m = ran.computeIfAbsent(cls) { [:] }
            // parameterized invocations share a method name: any failure wins
            if (m[name] == null || status != 'passed') m[name] = status
            collect(tc.'system-out'.text())
        }
        collect(suite.'system-out'.text())
    }
    reports.eachFileMatch(~/.*-output\.txt/) { f -> collect(f.text) }
    println "[verify] host kernel ${hostKernel} boot ${hostBootId}; recorded in the sandbox: ${kernels} ${bootIds}"
    println "[verify] ran: ${ran}"
    def problems = []
    expected.each { cls, methods ->
        def got = ran[cls]
        if (got == null) { problems << "class ${cls} did not run"; return }
        methods.each { m ->
            if (got[m] == null) problems << "${cls}.${m} did not run (ran: ${got.keySet()})"
            else if (got[m] != 'passed') problems << "${cls}.${m} ${got[m]}"
        }
    }
    if (kernels.size() < kernelRecords) problems << "expected ${kernelRecords} SANDBOX-KERNEL= records in the reports, found ${kernels.size()}"
    if (bootIds.size() < kernelRecords) problems << "expected ${kernelRecords} SANDBOX-BOOT-ID= records, found ${bootIds.size()}"
    bootIds.findAll { it == hostBootId }.each { problems << "a test ran on the host (boot id ${it}), not in the sandbox" }
    kernels.findAll { it == hostKernel }.each {
        if (bootIds.isEmpty()) problems << "a test ran on the host kernel ${it}, not in the sandbox"
        else println "[verify] note: the guest runs the host's kernel release ${it} (a different boot, so a different machine)"
    }
    if (problems) {
        problems.each { println "[verify] FAIL ${it}" }
        throw new AssertionError("sample ${basedir.name}: " + problems.join('; '))
    }
    println "[verify] ${basedir.name}: all ${expected.values().sum { it.size() }} expected tests passed in the sandbox"
    return true
}
