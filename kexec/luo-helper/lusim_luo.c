// SPDX-License-Identifier: GPL-2.0-only
/*
 * lusim_luo: carry the memmap= handover range across a kexec through the Live Update
 * Orchestrator instead of leaving it in reserved memory (issue 14, "Real LUO").
 *
 *   lusim_luo save BASE SIZE   copy the range (/dev/mem) into a memfd, create LUO session "lusim"
 *                              on /dev/liveupdate, preserve the memfd in it (token LUSIM_TOKEN),
 *                              zero the range (so only LUO can bring the bytes back), and leave a
 *                              child holding the session fd until the kexec: closing it cancels
 *                              the preservation (kernel/liveupdate/luo_session.c release).
 *   lusim_luo load BASE SIZE   in the next kernel: retrieve session "lusim" and the memfd, write its
 *                              bytes back into the range, and finish the session.
 *
 * The uAPI is include/uapi/linux/liveupdate.h (7.3.4); the calls follow
 * tools/testing/selftests/liveupdate/lib/lu_utils.c (luo_create_session, luo_retrieve_session,
 * create_and_preserve_memfd, restore_and_verify_memfd, luo_session_finish, daemonize_and_wait).
 * Output is one line: "ok ..." or "error: ..." (the agent passes it to the host).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#define SESSION "lusim"
#define LUSIM_TOKEN 0x6c7573696dULL /* "lusim" */

static int fail(const char *what)
{
	printf("error: %s: %s\n", what, strerror(errno));
	return 1;
}

static unsigned char *map_range(uint64_t base, size_t size)
{
	/*
	 * Not O_SYNC: lusim_pci.ko maps the same range MEMREMAP_WB, and an uncached /dev/mem mapping
	 * of it would conflict with that memory type (arch/x86/mm/pat/memtype.c
	 * phys_mem_access_prot_allowed asks UC- for O_DSYNC, which O_SYNC carries; else WB).
	 */
	int fd = open("/dev/mem", O_RDWR);
	void *p;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)base);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static int save(uint64_t base, size_t size)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	struct liveupdate_session_preserve_fd pf = { .size = sizeof(pf), .token = LUSIM_TOKEN };
	unsigned char *range = map_range(base, size);
	int luo, mfd;

	if (!range)
		return fail("mmap /dev/mem");
	mfd = memfd_create("lusim-handover", 0);
	if (mfd < 0)
		return fail("memfd_create");
	if (write(mfd, range, size) != (ssize_t)size)
		return fail("write memfd");
	luo = open("/dev/liveupdate", O_RDWR);
	if (luo < 0)
		return fail("open /dev/liveupdate (liveupdate=on?)");
	snprintf((char *)cs.name, sizeof(cs.name), "%s", SESSION);
	if (ioctl(luo, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs))
		return fail("LIVEUPDATE_IOCTL_CREATE_SESSION");
	pf.fd = mfd;
	if (ioctl(cs.fd, LIVEUPDATE_SESSION_PRESERVE_FD, &pf))
		return fail("LIVEUPDATE_SESSION_PRESERVE_FD");
	memset(range, 0, size);
	msync(range, size, MS_SYNC);
	fflush(stdout);
	if (fork() == 0) {
		/* Hold the session (and /dev/liveupdate) open until the kexec; let go of the agent's output. */
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		setsid();
		for (;;)
			pause();
	}
	printf("ok preserved %zu bytes in session %s token 0x%llx; range zeroed\n", size, SESSION, (unsigned long long)LUSIM_TOKEN);
	return 0;
}

static int load(uint64_t base, size_t size)
{
	struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs) };
	struct liveupdate_session_retrieve_fd rf = { .size = sizeof(rf), .token = LUSIM_TOKEN };
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	unsigned char *range = map_range(base, size);
	int luo;

	if (!range)
		return fail("mmap /dev/mem");
	luo = open("/dev/liveupdate", O_RDWR);
	if (luo < 0)
		return fail("open /dev/liveupdate (liveupdate=on?)");
	snprintf((char *)rs.name, sizeof(rs.name), "%s", SESSION);
	if (ioctl(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs))
		return fail("LIVEUPDATE_IOCTL_RETRIEVE_SESSION");
	if (ioctl(rs.fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf))
		return fail("LIVEUPDATE_SESSION_RETRIEVE_FD");
	if (pread(rf.fd, range, size, 0) != (ssize_t)size)
		return fail("read memfd");
	msync(range, size, MS_SYNC);
	close(rf.fd);
	if (ioctl(rs.fd, LIVEUPDATE_SESSION_FINISH, &fin))
		return fail("LIVEUPDATE_SESSION_FINISH");
	printf("ok retrieved %zu bytes from session %s token 0x%llx; session finished\n", size, SESSION, (unsigned long long)LUSIM_TOKEN);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t base;
	size_t size;

	if (argc != 4) {
		printf("error: usage: lusim_luo save|load BASE SIZE\n");
		return 2;
	}
	base = strtoull(argv[2], NULL, 0);
	size = strtoull(argv[3], NULL, 0);
	if (!size || size > (64u << 20) || base % 4096) {
		printf("error: bad range %s %s\n", argv[2], argv[3]);
		return 2;
	}
	if (!strcmp(argv[1], "save"))
		return save(base, size);
	if (!strcmp(argv[1], "load"))
		return load(base, size);
	printf("error: unknown verb %s\n", argv[1]);
	return 2;
}
