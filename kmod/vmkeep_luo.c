// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: mainline's live update uAPI on kernels without it
 *
 * With ``luo=1``, on a kernel built without CONFIG_LIVEUPDATE, vmkeep
 * provides /dev/liveupdate as Linux 7.2 defines it (uapi
 * linux/liveupdate.h; its rules are those of kernel/liveupdate/luo_*.c):
 * named sessions of memfds and vmkeep region files that a kexec hands to
 * the next kernel.
 *
 * Outgoing: a session lives in memory until the kexec.  PRESERVE_FD
 * reserves all that the file will need in a pool - its pages of 4 KiB in
 * units taken for the live update set, and room in the set's tables - so
 * that the reboot notifier, which cannot fail a kexec, only copies: each
 * memfd's bytes into its pages, the tables (format.h, "live update
 * sets"), then the pool's entries with the clean mark.  A preserved
 * memfd's size is frozen (on 7.x as mainline freezes it, until it is
 * unpreserved; on 6.x by F_SEAL_GROW and F_SEAL_SHRINK, which stay); its
 * bytes are those of the kexec.  A region file is preserved by reference: the region goes
 * through the kexec as every region does.
 *
 * Incoming: when the pool proves to be this host's (VMKEEP_IOC_TRUST), each
 * set's tables are read and checked record by record (repaired from the
 * twin copy when they can be), and each memfd's bytes against their
 * checksum.  A session with anything wrong is quarantined whole: listed,
 * never retrieved (EIO), its memory kept.  RETRIEVE_FD makes a new memfd
 * with the bytes, position and seals, or opens the region again.  A
 * session finished or closed is consumed: marked so in the tables, and
 * once no session of a set is left its memory goes back to the pool.
 * Sessions nobody retrieved are dropped at the next kexec, as mainline
 * drops them; without ``luo=1`` they are kept and listed.
 *
 * luo_lock serialises all of it and nests outside vmkeep_lock, which
 * protects the chunks of memory (&vmkeep_pool.luo).  The reboot notifier
 * takes luo_lock for good, as mainline's takes its rwsem: whatever comes
 * later waits for the kexec.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/liveupdate.h>
#include <vmkeep/names.h>

#include "vmkeep_compat.h"
#include "vmkeep_internal.h"

#define LUO_PAGE	VMKEEP_LUO_PAGE
#define LUO_NAME_LEN	LIVEUPDATE_SESSION_NAME_LENGTH
/* The seals a preserved memfd may have: mainline's MEMFD_LUO_ALL_SEALS. */
#define LUO_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
			 F_SEAL_FUTURE_WRITE | VMKEEP_F_SEAL_EXEC)
#define LUO_FREEZE	(F_SEAL_SHRINK | F_SEAL_GROW)

static_assert(sizeof(struct vmkeep_luo_header) == VMKEEP_LUO_HEADER_SIZE);
static_assert(sizeof(struct vmkeep_luo_session) == VMKEEP_LUO_SESSION_SIZE);
static_assert(sizeof(struct vmkeep_luo_file) == VMKEEP_LUO_FILE_SIZE);
static_assert(sizeof(struct vmkeep_luo_run) == VMKEEP_LUO_RUN_SIZE);
static_assert(LUO_NAME_LEN == VMKEEP_LUO_NAME_LEN);

struct luo_set;

/**
 * struct luo_file - a preserved file
 * @link: in &luo_session.files
 * @token: the user's
 * @kind: %VMKEEP_LUO_FMT_MEMFD or %VMKEEP_LUO_FMT_REGION
 * @file: outgoing: the file preserved (a reference); incoming: the file
 *        retrieved, handed out again by a second RETRIEVE_FD
 * @err: incoming: why its retrieve failed, for every later try
 * @size: a memfd's bytes; a region's length
 * @pos: a memfd's file position; for a region, its pool's base
 * @seals: a memfd's own seals
 * @data_crc: of a memfd's bytes
 * @nr_runs: entries of @runs
 * @runs: a memfd's pages in the pool (outgoing: its own; incoming: in the
 *        set's array)
 * @region_id: a region's id in its pool
 * @gone: a region freed before the kexec
 */
struct luo_file {
	struct list_head link;
	u64 token;
	u32 kind;
	struct file *file;
	int err;
	u64 size;
	u64 pos;
	u32 seals;
	u32 data_crc;
	u32 nr_runs;
	struct vmkeep_luo_span *runs;
	u64 region_id;
	bool gone;
};

/**
 * struct luo_session - a session, outgoing or incoming
 * @link: in luo_outgoing or luo_incoming
 * @name: NUL-terminated
 * @files: &luo_file.link
 * @nr_files: entries of @files
 * @nr_runs: of its memfds (outgoing: room in the tables)
 * @bytes: pool bytes its memfds hold
 * @incoming: from the previous kernel
 * @set: incoming: the set it came in; NULL once the set is gone
 * @set_nr: incoming: @set's number
 * @pool: incoming: @set's pool's index
 * @idx: incoming: its record in @set
 * @retrieved: incoming, and handed out (mainline's name for it)
 * @consumed: incoming, finished
 * @quarantine: incoming: VMKEEP_Q_* why it cannot be retrieved, or 0
 */
struct luo_session {
	struct list_head link;
	char name[LUO_NAME_LEN];
	struct list_head files;
	u32 nr_files;
	u32 nr_runs;
	u64 bytes;
	bool incoming;
	struct luo_set *set;
	u64 set_nr;
	u32 pool;
	u32 idx;
	bool retrieved;
	bool consumed;
	u32 quarantine;
};

/**
 * struct luo_set - the live update state one kexec handed over
 * @link: in luo_sets
 * @pool: where it is
 * @nr: its number, from its entries' names
 * @tables: the chunk of its tables
 * @hdr: the tables' header, as read
 * @ss: its session records, as decoded (rewritten with consumed marks)
 * @fs: its file records
 * @rs: its run records
 * @nr_live: sessions not consumed, quarantined ones included
 * @dirty: consumed marks not written yet (luo_work)
 */
struct luo_set {
	struct list_head link;
	struct vmkeep_pool *pool;
	u64 nr;
	struct vmkeep_luo_chunk *tables;
	struct vmkeep_luo_set hdr;
	struct vmkeep_luo_sess *ss;
	struct vmkeep_luo_fil *fs;
	struct vmkeep_luo_span *rs;
	u32 nr_live;
	bool dirty;
};

static DEFINE_MUTEX(luo_lock);
static bool luo_on;
static atomic_t luo_in_use;
static LIST_HEAD(luo_outgoing);
static LIST_HEAD(luo_incoming);
static LIST_HEAD(luo_sets);
/* Files preserved, by inode (memfd) or region: each in one session only. */
static DEFINE_XARRAY(luo_keys);
/* The outgoing set: its pool, its tables' chunk, its records. */
static struct vmkeep_pool *luo_pool;
static struct vmkeep_luo_chunk *luo_tables;
static u32 luo_nr_sessions, luo_nr_files, luo_nr_runs;
/* Pools whose sets are read, by index. */
static unsigned long luo_read_pools;

static void luo_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(luo_work, luo_work_fn);

/* Whether the outgoing tables can take these many more records. */
static bool luo_room(u32 sessions, u32 files, u32 runs)
{
	lockdep_assert_held(&luo_lock);
	return vmkeep_luo_copy_bytes(luo_nr_sessions + sessions,
				     luo_nr_files + files,
				     luo_nr_runs + runs) <= VMKEEP_LUO_COPY_SIZE;
}

/* The pool for the outgoing set: ready, not held, most room, 2 MiB pages. */
static struct vmkeep_pool *luo_pick_pool(void)
{
	struct vmkeep_pool *pool, *best = NULL;
	u64 free, best_free = 0;
	unsigned int i;

	lockdep_assert_held(&vmkeep_lock);
	for (i = 0; i < vmkeep_nr_pools; i++) {
		pool = vmkeep_pools[i];
		if (pool->fmt.state != VMKEEP_POOL_READY ||
		    (pool->flags & VMKEEP_POOL_HELD))
			continue;
		free = vmkeep_pool_free_bytes(pool);
		/* A unit of a 1 GiB pool is 1 GiB: only if no other has room. */
		if (pool->page_order != HPAGE_PMD_ORDER)
			free >>= 20;
		if (free >= VMKEEP_FMT_UNIT >> 20 && free > best_free) {
			best = pool;
			best_free = free;
		}
	}
	return best;
}

/* The outgoing set's tables, reserved with its first session. */
static int luo_outgoing_get(void)
{
	struct vmkeep_luo_chunk *chunk;
	struct vmkeep_pool *pool;

	lockdep_assert_held(&luo_lock);
	if (luo_tables)
		return 0;
	guard(mutex)(&vmkeep_lock);
	pool = luo_pick_pool();
	if (!pool)
		return -ENOSPC;
	chunk = vmkeep_pool_luo_reserve(pool, VMKEEP_FMT_UNIT);
	if (IS_ERR(chunk))
		return PTR_ERR(chunk);
	luo_pool = pool;
	luo_tables = chunk;
	return 0;
}

/* The last outgoing session is gone: so is the set's memory. */
static void luo_outgoing_put(void)
{
	lockdep_assert_held(&luo_lock);
	if (!luo_tables || !list_empty(&luo_outgoing))
		return;
	guard(mutex)(&vmkeep_lock);
	vmkeep_pool_luo_drop(luo_tables, luo_pool);
	luo_tables = NULL;
	luo_pool = NULL;
}

static unsigned long chunk_pages(const struct vmkeep_luo_chunk *chunk)
{
	return chunk->fmt.length / LUO_PAGE;
}

/*
 * Pool offset of page @page of @chunk, its extents end to end; @first
 * says it starts an extent (a run never spans two: format.h).
 */
static u64 chunk_page_offset(const struct vmkeep_luo_chunk *chunk,
			     unsigned long page, bool *first)
{
	u64 off = (u64)page * LUO_PAGE;
	u32 i;

	for (i = 0; i < chunk->fmt.nr_extents; i++) {
		if (off < chunk->fmt.extents[i].length) {
			*first = !off;
			return chunk->fmt.extents[i].offset + off;
		}
		off -= chunk->fmt.extents[i].length;
	}
	return U64_MAX;
}

/*
 * The outgoing data chunk and page of pool offset @off, and the bytes
 * left in its extent from there; or NULL.
 */
static struct vmkeep_luo_chunk *chunk_of(u64 off, unsigned long *page,
					 u64 *left)
{
	struct vmkeep_luo_chunk *chunk;
	u64 base;
	u32 i;

	list_for_each_entry(chunk, &luo_pool->luo, link) {
		if (!chunk->pages)
			continue;
		for (i = 0, base = 0; i < chunk->fmt.nr_extents; i++) {
			const u64 start = chunk->fmt.extents[i].offset;
			const u64 len = chunk->fmt.extents[i].length;

			if (off >= start && off - start < len) {
				*page = (base + off - start) / LUO_PAGE;
				*left = len - (off - start);
				return chunk;
			}
			base += len;
		}
	}
	return NULL;
}

/* Give pages back; a data chunk with none taken goes back to the pool. */
static void luo_put_pages(const struct vmkeep_luo_span *runs, u32 nr)
{
	struct vmkeep_luo_chunk *chunk, *tmp;
	unsigned long page;
	u64 off, end, left, n;
	u32 i;

	lockdep_assert_held(&luo_lock);
	guard(mutex)(&vmkeep_lock);
	for (i = 0; i < nr; i++) {
		end = runs[i].offset + runs[i].length;
		for (off = runs[i].offset; off < end; off += n * LUO_PAGE) {
			chunk = chunk_of(off, &page, &left);
			if (WARN_ON_ONCE(!chunk))
				break;
			n = min(left, end - off) / LUO_PAGE;
			bitmap_clear(chunk->pages, page, n);
		}
		cond_resched();
	}
	list_for_each_entry_safe(chunk, tmp, &luo_pool->luo, link)
		if (chunk->pages && !chunk->written &&
		    bitmap_empty(chunk->pages, chunk_pages(chunk)))
			vmkeep_pool_luo_drop(chunk, luo_pool);
}

static int luo_add_run(struct luo_file *f, u64 off, u64 len, bool first,
		       u32 *room)
{
	struct vmkeep_luo_span *runs;

	if (!first && f->nr_runs && f->runs[f->nr_runs - 1].offset +
	    f->runs[f->nr_runs - 1].length == off) {
		f->runs[f->nr_runs - 1].length += len;
		return 0;
	}
	if (f->nr_runs == *room) {
		*room = max(8U, *room * 2);
		runs = krealloc_array(f->runs, *room, sizeof(*runs), GFP_KERNEL);
		if (!runs)
			return -ENOMEM;
		f->runs = runs;
	}
	f->runs[f->nr_runs].offset = off;
	f->runs[f->nr_runs++].length = len;
	return 0;
}

/* Take free pages of @chunk for @f, at most *@need. */
static int luo_take_from(struct vmkeep_luo_chunk *chunk, struct luo_file *f,
			 unsigned long *need, u32 *room)
{
	unsigned long n = chunk_pages(chunk), start, end, p;
	bool first;
	u64 off;
	int ret;

	for (start = find_first_zero_bit(chunk->pages, n); *need && start < n;
	     start = find_next_zero_bit(chunk->pages, n, end)) {
		end = min(find_next_bit(chunk->pages, n, start), start + *need);
		for (p = start; p < end; p++) {
			off = chunk_page_offset(chunk, p, &first);
			ret = luo_add_run(f, off, LUO_PAGE, first, room);
			if (ret)
				return ret;
			__set_bit(p, chunk->pages);
			(*need)--;
			if (!(p % 512))
				cond_resched();
		}
	}
	return 0;
}

/* Pages of 4 KiB for a memfd of @f->size bytes, in the outgoing set. */
static int luo_take_pages(struct luo_file *f)
{
	unsigned long need = DIV_ROUND_UP(f->size, LUO_PAGE);
	struct vmkeep_luo_chunk *chunk;
	u32 room = 0;
	int ret = 0;

	lockdep_assert_held(&luo_lock);
	guard(mutex)(&vmkeep_lock);
	list_for_each_entry(chunk, &luo_pool->luo, link) {
		if (!need || ret)
			break;
		if (chunk->pages)
			ret = luo_take_from(chunk, f, &need, &room);
	}
	while (need && !ret) {
		chunk = vmkeep_pool_luo_reserve(luo_pool,
						round_up(need * LUO_PAGE, VMKEEP_FMT_UNIT));
		if (IS_ERR(chunk))
			return PTR_ERR(chunk);
		chunk->pages = kvcalloc(BITS_TO_LONGS(chunk_pages(chunk)),
					sizeof(long), GFP_KERNEL);
		if (!chunk->pages) {
			vmkeep_pool_luo_drop(chunk, luo_pool);
			return -ENOMEM;
		}
		ret = luo_take_from(chunk, f, &need, &room);
		if (bitmap_empty(chunk->pages, chunk_pages(chunk)))
			vmkeep_pool_luo_drop(chunk, luo_pool);
	}
	return ret;
}

static void luo_file_free(struct luo_file *f, bool own_runs)
{
	if (f->file)
		fput(f->file);
	if (own_runs)
		kfree(f->runs);
	kfree(f);
}

#ifdef SHMEM_F_MAPPING_FROZEN
/* 7.x: the mapping freeze of mainline's memfd_luo_preserve(). */
static bool luo_may_freeze(struct file *file)
{
	return true;
}

static void luo_freeze(struct inode *inode, struct luo_file *f)
{
	shmem_freeze(inode, true);
}

static void luo_thaw(struct inode *inode)
{
	inode_lock(inode);
	shmem_freeze(inode, false);
	inode_unlock(inode);
}
#else
/*
 * 6.x has no freeze: F_SEAL_GROW and F_SEAL_SHRINK do its job, and stay
 * when the memfd is unpreserved - a seal is never taken away, others may
 * rely on it.
 */
static void luo_freeze(struct inode *inode, struct luo_file *f)
{
	SHMEM_I(inode)->seals |= LUO_FREEZE;
}

/* Seals that stay are for those who may write, as F_ADD_SEALS has it. */
static bool luo_may_freeze(struct file *file)
{
	return file->f_mode & FMODE_WRITE;
}

static void luo_thaw(struct inode *inode)
{
}
#endif

/* A memfd is unpreserved: its size thaws, its pages go back. */
static void luo_memfd_unpreserve(struct luo_file *f)
{
	luo_thaw(file_inode(f->file));
	luo_put_pages(f->runs, f->nr_runs);
}

static void luo_unpreserve(struct luo_session *s, struct luo_file *f)
{
	lockdep_assert_held(&luo_lock);
	xa_erase(&luo_keys, (unsigned long)(f->kind == VMKEEP_LUO_FMT_MEMFD ?
					    (void *)file_inode(f->file) :
					    f->file->private_data));
	if (f->kind == VMKEEP_LUO_FMT_MEMFD)
		luo_memfd_unpreserve(f);
	list_del(&f->link);
	s->nr_files--;
	s->nr_runs -= f->nr_runs;
	luo_nr_runs -= f->nr_runs;
	s->bytes -= f->nr_runs ? round_up(f->size, LUO_PAGE) : 0;
	luo_nr_files--;
	luo_file_free(f, true);
}

/*
 * A memfd (any unlinked shmem file, as mainline's memfd_luo_can_preserve)
 * keeps its size from here on, and its pages are reserved.
 */
/* The size and seals of a memfd, as it may be preserved; under inode_lock. */
static int luo_memfd_check(struct inode *inode, struct luo_file *f)
{
	f->seals = SHMEM_I(inode)->seals;
	f->size = i_size_read(inode);
	if (f->seals & ~LUO_SEALS)
		return -EOPNOTSUPP;
	if (DIV_ROUND_UP_ULL(f->size, PAGE_SIZE) > UINT_MAX)
		return -EFBIG;
	return 0;
}

/* Pages for the size read, then the freeze at that size, or nothing. */
static int luo_memfd_reserve(struct luo_file *f)
{
	struct inode *inode = file_inode(f->file);
	int ret;

	ret = luo_take_pages(f);
	if (!ret && !luo_room(0, 1, f->nr_runs))
		ret = -ENOSPC;
	if (!ret) {
		inode_lock(inode);
		if (i_size_read(inode) == f->size)
			luo_freeze(inode, f);
		else
			ret = -EAGAIN;
		inode_unlock(inode);
	}
	if (ret) {
		luo_put_pages(f->runs, f->nr_runs);
		kfree(f->runs);
		f->runs = NULL;
		f->nr_runs = 0;
	}
	return ret;
}

/*
 * A memfd (any unlinked shmem file, as mainline's memfd_luo_can_preserve)
 * keeps its size from here on, and its pages are reserved.  A resize
 * while they are reserved makes it try again.
 */
static int luo_memfd_preserve(struct luo_session *s, struct luo_file *f)
{
	struct inode *inode = file_inode(f->file);
	int ret;

	if (!luo_may_freeze(f->file))
		return -EPERM;
	do {
		if (fatal_signal_pending(current))
			return -EINTR;
		inode_lock(inode);
		ret = luo_memfd_check(inode, f);
		inode_unlock(inode);
		if (!ret)
			ret = luo_memfd_reserve(f);
	} while (ret == -EAGAIN);
	if (ret)
		return ret;
	luo_nr_runs += f->nr_runs;
	s->nr_runs += f->nr_runs;
	s->bytes += f->nr_runs ? round_up(f->size, LUO_PAGE) : 0;
	return 0;
}

static struct luo_file *luo_find(struct luo_session *s, u64 token)
{
	struct luo_file *f;

	list_for_each_entry(f, &s->files, link)
		if (f->token == token)
			return f;
	return NULL;
}

/* Mainline's luo_preserve_file(): the same checks, in the same order. */
static int luo_preserve(struct luo_session *s, u64 token, int fd)
{
	struct luo_file *f;
	void *key;
	int ret;

	lockdep_assert_held(&luo_lock);
	if (luo_find(s, token))
		return -EEXIST;
	if (!luo_room(0, 1, 0))
		return -ENOSPC;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->token = token;
	f->file = fget(fd);
	ret = -EBADF;
	if (!f->file)
		goto err_free;
	ret = -ENOENT;
	if (f->file->f_op == &vmkeep_region_fops) {
		f->kind = VMKEEP_LUO_FMT_REGION;
		key = f->file->private_data;
		/* A region's length never changes: LUO_LIST reports it. */
		f->size = ((struct vmkeep_region *)key)->fmt.length;
	} else if (shmem_file(f->file) && !file_inode(f->file)->i_nlink) {
		f->kind = VMKEEP_LUO_FMT_MEMFD;
		key = file_inode(f->file);
	} else {
		goto err_free;
	}
	ret = xa_insert(&luo_keys, (unsigned long)key, f, GFP_KERNEL);
	if (ret)
		goto err_free;
	if (f->kind == VMKEEP_LUO_FMT_MEMFD)
		ret = luo_memfd_preserve(s, f);
	if (ret) {
		xa_erase(&luo_keys, (unsigned long)key);
		goto err_free;
	}
	list_add_tail(&f->link, &s->files);
	s->nr_files++;
	luo_nr_files++;
	return 0;

err_free:
	luo_file_free(f, false);
	return ret;
}

/* Whether a run of an incoming memfd has a page a memory failure hit. */
static bool luo_runs_bad(struct vmkeep_pool *pool, const struct luo_file *f)
{
	phys_addr_t first;
	u32 i;

	for (i = 0; i < f->nr_runs; i++)
		if (vmkeep_pool_bad(pool, pool->base + f->runs[i].offset,
				    f->runs[i].length, &first))
			return true;
	return false;
}

/*
 * An incoming memfd's bytes into @file, page by page: no write(2) limits
 * (MAX_RW_COUNT, RLIMIT_FSIZE, signals) stand between them and the file.
 */
static int luo_memfd_fill(struct luo_set *set, struct luo_file *f,
			  struct file *file)
{
	struct address_space *mapping = file->f_mapping;
	u64 done = 0, len, o;
	struct page *page;
	u32 i;

	i_size_write(file_inode(file), f->size);
	for (i = 0; i < f->nr_runs; i++) {
		for (o = 0; o < f->runs[i].length && done < f->size;
		     o += LUO_PAGE, done += len) {
			len = min(LUO_PAGE, f->size - done);
			page = shmem_read_mapping_page(mapping, done >> PAGE_SHIFT);
			if (IS_ERR(page))
				return PTR_ERR(page);
			memcpy_to_page(page, offset_in_page(done),
				       set->pool->va + f->runs[i].offset + o, len);
			set_page_dirty(page);
			put_page(page);
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/* A new memfd as mainline's memfd_luo_retrieve() makes it. */
static struct file *luo_memfd_make(struct luo_set *set, struct luo_file *f)
{
	u32 seals = f->seals;
	struct file *file;
	int ret;

	if (seals & ~LUO_SEALS)
		return ERR_PTR(-EOPNOTSUPP);
	if (luo_runs_bad(set->pool, f))
		return ERR_PTR(-EIO);
	file = shmem_file_setup("memfd:", 0, VMKEEP_SHMEM_NORESERVE);
	if (IS_ERR(file))
		return file;
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	ret = luo_memfd_fill(set, f, file);
	if (ret) {
		fput(file);
		return ERR_PTR(ret);
	}
	vfs_setpos(file, f->pos, MAX_LFS_FILESIZE);
	/* As memfd_add_seals() on a new, executable inode: W^X. */
	if (seals & VMKEEP_F_SEAL_EXEC)
		seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
			 F_SEAL_FUTURE_WRITE;
	if ((seals & F_SEAL_WRITE) && mapping_deny_writable(file->f_mapping)) {
		fput(file);
		return ERR_PTR(-EBUSY);
	}
	inode_lock(file_inode(file));
	SHMEM_I(file_inode(file))->seals = seals;
	inode_unlock(file_inode(file));
	return file;
}

/*
 * The region of an incoming file, opened again as GET opens it, the
 * region's owner and mode checked for the caller.  Only a region restored
 * at this load: ids start again after a FORMAT, a region made since is
 * not the one preserved.
 */
static struct file *luo_region_open(struct luo_file *f)
{
	struct vmkeep_caller caller = VMKEEP_CALLER_INIT;
	struct vmkeep_region *region = NULL;
	struct file *file;
	unsigned int i;
	int ret = 0;

	if (f->gone)
		return ERR_PTR(-ENOENT);
	scoped_guard(mutex, &vmkeep_lock) {
		for (i = 0; i < vmkeep_nr_pools && !region; i++)
			if (vmkeep_pools[i]->base == f->pos &&
			    vmkeep_pools[i]->fmt.state == VMKEEP_POOL_READY)
				region = vmkeep_pool_region_by_id(vmkeep_pools[i],
								  f->region_id);
		if (!region || !region->restored ||
		    region->fmt.length != f->size)
			return ERR_PTR(-EIO);
		if (!vmkeep_region_may_open(region, &caller))
			return ERR_PTR(-EACCES);
		ret = vmkeep_region_claim(region, NULL);
		if (ret)
			return ERR_PTR(ret);
		kref_get(&region->kref);
	}
	file = vmkeep_region_file(region);
	if (IS_ERR(file))
		vmkeep_region_unclaim(region);
	vmkeep_region_put(region);
	return file;
}

static int luo_retrieve(struct luo_session *s, u64 token, struct file **out)
{
	struct luo_file *f;
	struct file *file;

	lockdep_assert_held(&luo_lock);
	f = luo_find(s, token);
	if (!f)
		return -ENOENT;
	if (f->err)
		return f->err;
	if (!f->file) {
		if (f->kind == VMKEEP_LUO_FMT_MEMFD)
			file = luo_memfd_make(s->set, f);
		else
			file = luo_region_open(f);
		/*
		 * Failures of the bytes or the record stay, as mainline's;
		 * not those of the caller (EACCES, ENOMEM, EINTR, EBUSY).
		 */
		if (IS_ERR(file) && (PTR_ERR(file) == -EIO ||
				     PTR_ERR(file) == -EOPNOTSUPP ||
				     PTR_ERR(file) == -ENOENT))
			f->err = PTR_ERR(file);
		if (IS_ERR(file))
			return PTR_ERR(file);
		f->file = file;
	}
	*out = get_file(f->file);
	return 0;
}

/* Write an incoming set's consumed marks: the twin first (B), then A. */
static void luo_set_write(struct luo_set *set)
{
	void *area = set->pool->va + set->tables->fmt.extents[0].offset;
	u32 copy, i;

	lockdep_assert_held(&vmkeep_lock);
	set->dirty = false;
	if (vmkeep_crashed || set->pool->meta_bad)
		return;
	set->hdr.generation++;
	for (copy = 2; copy--;) {
		vmkeep_luo_begin(area, copy);
		for (i = 0; i < set->hdr.nr_sessions; i++)
			vmkeep_luo_put_session(area, copy, &set->hdr, i, &set->ss[i]);
		for (i = 0; i < set->hdr.nr_files; i++)
			vmkeep_luo_put_file(area, copy, &set->hdr, i, &set->fs[i]);
		for (i = 0; i < set->hdr.nr_runs; i++)
			vmkeep_luo_put_run(area, copy, &set->hdr, i, &set->rs[i]);
		vmkeep_luo_end(area, copy, &set->hdr);
	}
}

/* A chunk's set from its name: "luo.SET" (@tables) or "luo.SET.N". */
static bool chunk_set(const struct vmkeep_luo_chunk *chunk, u64 *nr,
		      bool *tables)
{
	unsigned long long n;
	unsigned int k;
	int len = 0;

	*tables = sscanf(chunk->fmt.name, "luo.%llu%n", &n, &len) == 1 &&
		  !chunk->fmt.name[len];
	if (!*tables && (sscanf(chunk->fmt.name, "luo.%llu.%u%n", &n, &k, &len) != 2 ||
			 chunk->fmt.name[len]))
		return false;
	*nr = n;
	return true;
}

static bool chunk_in_set(const struct vmkeep_luo_chunk *chunk, u64 nr,
			 bool *tables)
{
	u64 n;

	return chunk_set(chunk, &n, tables) && n == nr;
}

static void luo_set_free(struct luo_set *set)
{
	list_del(&set->link);
	kvfree(set->ss);
	kvfree(set->fs);
	kvfree(set->rs);
	kfree(set);
}

/* Every session of @set is consumed: its memory goes back to the pool. */
static void luo_set_drop(struct luo_set *set)
{
	struct vmkeep_luo_chunk *chunk, *tmp;
	struct luo_session *s;
	bool tables;

	lockdep_assert_held(&luo_lock);
	lockdep_assert_held(&vmkeep_lock);
	/* Finished sessions whose files are still open outlive it. */
	list_for_each_entry(s, &luo_incoming, link)
		if (s->set == set)
			s->set = NULL;
	list_for_each_entry_safe(chunk, tmp, &set->pool->luo, link)
		if (chunk->written && chunk_in_set(chunk, set->nr, &tables))
			vmkeep_pool_luo_drop(chunk, set->pool);
	vmkeep_pool_commit(set->pool, 0);
	pr_info("live update set %llu (pool %u): every session consumed, its memory back in the pool\n",
		set->nr, set->pool->index);
	luo_set_free(set);
}

/* @s is finished: marked in its set, whose memory goes with its last. */
static void luo_consume(struct luo_session *s)
{
	struct luo_set *set = s->set;

	lockdep_assert_held(&luo_lock);
	s->consumed = true;
	set->ss[s->idx].flags |= VMKEEP_LUO_F_CONSUMED;
	set->nr_live--;
	set->dirty = true;
}

static void luo_sets_flush(void)
{
	struct luo_set *set;

	lockdep_assert_held(&luo_lock);
	guard(mutex)(&vmkeep_lock);
	list_for_each_entry(set, &luo_sets, link)
		if (set->dirty)
			luo_set_write(set);
}

static void luo_work_fn(struct work_struct *work)
{
	guard(mutex)(&luo_lock);
	luo_sets_flush();
}

/*
 * FINISH: the files retrieved are the caller's, those not retrieved are
 * discarded (their bytes go with the set), a region retrieved is the
 * caller's too (finished, VMKEEP_STATE_ACTIVE).  Nothing can fail.
 */
static void luo_finish(struct luo_session *s)
{
	struct vmkeep_region *region;
	struct luo_file *f, *tmp;

	lockdep_assert_held(&luo_lock);
	if (s->consumed)
		return;
	list_for_each_entry_safe(f, tmp, &s->files, link) {
		if (f->kind == VMKEEP_LUO_FMT_REGION && f->file) {
			region = f->file->private_data;
			scoped_guard(mutex, &vmkeep_lock)
				if (region->state == VMKEEP_STATE_INCOMING)
					region->state = VMKEEP_STATE_ACTIVE;
		}
		list_del(&f->link);
		luo_file_free(f, false);
	}
	s->nr_files = 0;
	luo_consume(s);
	if (s->set->nr_live) {
		/* Marks are batched: 2000 sessions finish in a row. */
		schedule_delayed_work(&luo_work, HZ);
		return;
	}
	guard(mutex)(&vmkeep_lock);
	luo_set_drop(s->set);
}

static void luo_session_free(struct luo_session *s)
{
	list_del(&s->link);
	kfree(s);
}

static int luo_session_release(struct inode *inode, struct file *file)
{
	struct luo_session *s = file->private_data;
	struct luo_file *f, *tmp;

	guard(mutex)(&luo_lock);
	if (s->retrieved) {
		luo_finish(s);
	} else {
		list_for_each_entry_safe(f, tmp, &s->files, link)
			luo_unpreserve(s, f);
		luo_nr_sessions--;
	}
	luo_session_free(s);
	luo_outgoing_put();
	return 0;
}

static int luo_ioc_preserve(struct luo_session *s, struct vmkeep_ucmd *ucmd)
{
	struct liveupdate_session_preserve_fd *argp = ucmd->cmd;
	int ret;

	scoped_guard(mutex, &luo_lock) {
		ret = luo_preserve(s, argp->token, argp->fd);
		if (ret)
			return ret;
	}
	return vmkeep_respond(ucmd, sizeof(*argp));
}

static int luo_ioc_retrieve(struct luo_session *s, struct vmkeep_ucmd *ucmd)
{
	struct liveupdate_session_retrieve_fd *argp = ucmd->cmd;
	struct file *file;
	int ret;

	argp->fd = get_unused_fd_flags(O_CLOEXEC);
	if (argp->fd < 0)
		return argp->fd;
	scoped_guard(mutex, &luo_lock)
		ret = luo_retrieve(s, argp->token, &file);
	if (ret)
		goto err_put_fd;
	ret = vmkeep_respond(ucmd, sizeof(*argp));
	if (ret)
		goto err_put_file;
	fd_install(argp->fd, file);
	return 0;

err_put_file:
	fput(file);
err_put_fd:
	put_unused_fd(argp->fd);
	return ret;
}

static int luo_ioc_finish(struct luo_session *s, struct vmkeep_ucmd *ucmd)
{
	struct liveupdate_session_finish *argp = ucmd->cmd;

	if (argp->reserved)
		return -EINVAL;
	scoped_guard(mutex, &luo_lock)
		luo_finish(s);
	return vmkeep_respond(ucmd, sizeof(*argp));
}

static int luo_ioc_get_name(struct luo_session *s, struct vmkeep_ucmd *ucmd)
{
	struct liveupdate_session_get_name *argp = ucmd->cmd;

	if (argp->reserved)
		return -EINVAL;
	strscpy((char *)argp->name, s->name, sizeof(argp->name));
	return vmkeep_respond(ucmd, sizeof(*argp));
}

union luo_session_buffer {
	struct liveupdate_session_finish finish;
	struct liveupdate_session_preserve_fd preserve;
	struct liveupdate_session_retrieve_fd retrieve;
	struct liveupdate_session_get_name get_name;
};

union luo_dev_buffer {
	struct liveupdate_ioctl_create_session create;
	struct liveupdate_ioctl_retrieve_session retrieve;
};

enum luo_kind { LUO_INCOMING, LUO_OUTGOING, LUO_ANY };

struct luo_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	enum luo_kind kind;
	union {
		int (*session)(struct luo_session *s, struct vmkeep_ucmd *ucmd);
		int (*dev)(struct vmkeep_ucmd *ucmd);
	};
};

#define LUO_OP(_ioctl, _base, _buf, _fn, _struct, _last, _kind)		\
	[_IOC_NR(_ioctl) - (_base)] = {					\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union _buf) < sizeof(_struct)), \
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.kind = _kind,						\
		_fn,							\
	}

static const struct luo_op luo_session_ops[] = {
	LUO_OP(LIVEUPDATE_SESSION_FINISH, LIVEUPDATE_CMD_SESSION_BASE,
	       luo_session_buffer, .session = luo_ioc_finish,
	       struct liveupdate_session_finish, reserved, LUO_INCOMING),
	LUO_OP(LIVEUPDATE_SESSION_PRESERVE_FD, LIVEUPDATE_CMD_SESSION_BASE,
	       luo_session_buffer, .session = luo_ioc_preserve,
	       struct liveupdate_session_preserve_fd, token, LUO_OUTGOING),
	LUO_OP(LIVEUPDATE_SESSION_RETRIEVE_FD, LIVEUPDATE_CMD_SESSION_BASE,
	       luo_session_buffer, .session = luo_ioc_retrieve,
	       struct liveupdate_session_retrieve_fd, token, LUO_INCOMING),
	LUO_OP(LIVEUPDATE_SESSION_GET_NAME, LIVEUPDATE_CMD_SESSION_BASE,
	       luo_session_buffer, .session = luo_ioc_get_name,
	       struct liveupdate_session_get_name, name, LUO_ANY),
};

/*
 * Mainline's order of checks, and so its errors: an unknown number is
 * EINVAL, a known number with another type or size ENOTTY, the wrong kind
 * of session EINVAL before the size is looked at.
 */
static const struct luo_op *luo_op_get(const struct luo_op *ops, size_t n,
				       unsigned int base, unsigned int cmd,
				       unsigned long arg, struct vmkeep_ucmd *ucmd)
{
	const struct luo_op *op;
	unsigned int nr = _IOC_NR(cmd);

	if (nr < base || nr - base >= n)
		return ERR_PTR(-EINVAL);
	ucmd->ubuffer = (void __user *)arg;
	if (get_user(ucmd->user_size, (u32 __user *)ucmd->ubuffer))
		return ERR_PTR(-EFAULT);
	op = &ops[nr - base];
	if (op->ioctl_num != cmd)
		return ERR_PTR(-ENOIOCTLCMD);
	return op;
}

static int luo_op_copy(const struct luo_op *op, struct vmkeep_ucmd *ucmd,
		       void *buf)
{
	if (ucmd->user_size < op->min_size)
		return -EINVAL;
	ucmd->cmd = buf;
	return copy_struct_from_user(buf, op->size, ucmd->ubuffer,
				     ucmd->user_size);
}

static long luo_session_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct luo_session *s = file->private_data;
	union luo_session_buffer buf;
	struct vmkeep_ucmd ucmd = {};
	const struct luo_op *op;
	int ret;

	op = luo_op_get(luo_session_ops, ARRAY_SIZE(luo_session_ops),
			LIVEUPDATE_CMD_SESSION_BASE, cmd, arg, &ucmd);
	if (IS_ERR(op))
		return PTR_ERR(op);
	if ((op->kind == LUO_INCOMING && !s->retrieved) ||
	    (op->kind == LUO_OUTGOING && s->retrieved))
		return -EINVAL;
	ret = luo_op_copy(op, &ucmd, &buf);
	return ret ?: op->session(s, &ucmd);
}

static const struct file_operations luo_session_fops = {
	.owner = THIS_MODULE,
	.release = luo_session_release,
	.unlocked_ioctl = luo_session_ioctl,
};

/* systemd knows a session fd by this name: "anon_inode:[luo_session] N". */
static struct file *luo_session_file(struct luo_session *s)
{
	char name[LUO_NAME_LEN + 16];

	snprintf(name, sizeof(name), "[luo_session] %s", s->name);
	return anon_inode_getfile(name, &luo_session_fops, s, O_RDWR);
}

/*
 * The session of @name; among incoming ones a sound one first: a
 * quarantined session stays across kexecs, and must not take the name
 * from the sessions that come after it.
 */
static struct luo_session *luo_lookup(struct list_head *list, const char *name)
{
	struct luo_session *s, *found = NULL;

	list_for_each_entry(s, list, link) {
		if (strncmp(s->name, name, LUO_NAME_LEN))
			continue;
		if (!s->quarantine)
			return s;
		found = found ?: s;
	}
	return found;
}

static struct file *luo_create(const char *name)
{
	size_t len = strnlen(name, LUO_NAME_LEN);
	struct luo_session *s;
	struct file *file;
	int ret;

	if (!len || len == LUO_NAME_LEN)
		return ERR_PTR(-EINVAL);
	guard(mutex)(&luo_lock);
	if (luo_lookup(&luo_outgoing, name))
		return ERR_PTR(-EEXIST);
	if (!luo_room(1, 0, 0))
		return ERR_PTR(-ENOSPC);
	ret = luo_outgoing_get();
	if (ret)
		return ERR_PTR(ret);
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		luo_outgoing_put();
		return ERR_PTR(-ENOMEM);
	}
	strscpy(s->name, name, sizeof(s->name));
	INIT_LIST_HEAD(&s->files);
	file = luo_session_file(s);
	if (IS_ERR(file)) {
		kfree(s);
		luo_outgoing_put();
		return file;
	}
	list_add_tail(&s->link, &luo_outgoing);
	luo_nr_sessions++;
	return file;
}

static struct file *luo_retrieve_session(const char *name)
{
	struct luo_session *s;
	struct file *file;

	guard(mutex)(&luo_lock);
	s = luo_lookup(&luo_incoming, name);
	if (!s)
		return ERR_PTR(-ENOENT);
	if (s->quarantine)
		return ERR_PTR(-EIO);
	if (s->retrieved)
		return ERR_PTR(-EINVAL);
	file = luo_session_file(s);
	if (!IS_ERR(file))
		s->retrieved = true;
	return file;
}

static int luo_ioc_session(struct vmkeep_ucmd *ucmd, bool create)
{
	struct liveupdate_ioctl_create_session *argp = ucmd->cmd;
	struct file *file;
	int ret;

	static_assert(sizeof(struct liveupdate_ioctl_create_session) ==
		      sizeof(struct liveupdate_ioctl_retrieve_session));
	argp->fd = get_unused_fd_flags(O_CLOEXEC);
	if (argp->fd < 0)
		return argp->fd;
	file = create ? luo_create((char *)argp->name) :
			luo_retrieve_session((char *)argp->name);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_fd;
	}
	ret = vmkeep_respond(ucmd, sizeof(*argp));
	if (ret)
		goto err_put_file;
	fd_install(argp->fd, file);
	return 0;

err_put_file:
	fput(file);
err_put_fd:
	put_unused_fd(argp->fd);
	return ret;
}

static int luo_ioc_create(struct vmkeep_ucmd *ucmd)
{
	return luo_ioc_session(ucmd, true);
}

static int luo_ioc_retrieve_session(struct vmkeep_ucmd *ucmd)
{
	return luo_ioc_session(ucmd, false);
}

static const struct luo_op luo_dev_ops[] = {
	LUO_OP(LIVEUPDATE_IOCTL_CREATE_SESSION, LIVEUPDATE_CMD_BASE,
	       luo_dev_buffer, .dev = luo_ioc_create,
	       struct liveupdate_ioctl_create_session, name, LUO_ANY),
	LUO_OP(LIVEUPDATE_IOCTL_RETRIEVE_SESSION, LIVEUPDATE_CMD_BASE,
	       luo_dev_buffer, .dev = luo_ioc_retrieve_session,
	       struct liveupdate_ioctl_retrieve_session, name, LUO_ANY),
};

static long luo_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	union luo_dev_buffer buf;
	struct vmkeep_ucmd ucmd = {};
	const struct luo_op *op;
	int ret;

	op = luo_op_get(luo_dev_ops, ARRAY_SIZE(luo_dev_ops),
			LIVEUPDATE_CMD_BASE, cmd, arg, &ucmd);
	if (IS_ERR(op))
		return PTR_ERR(op);
	ret = luo_op_copy(op, &ucmd, &buf);
	return ret ?: op->dev(&ucmd);
}

static int luo_dev_open(struct inode *inode, struct file *file)
{
	return atomic_cmpxchg(&luo_in_use, 0, 1) ? -EBUSY : 0;
}

static int luo_dev_release(struct inode *inode, struct file *file)
{
	atomic_set(&luo_in_use, 0);
	return 0;
}

static const struct file_operations luo_dev_fops = {
	.owner = THIS_MODULE,
	.open = luo_dev_open,
	.release = luo_dev_release,
	.unlocked_ioctl = luo_dev_ioctl,
};

static struct miscdevice luo_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "liveupdate",
	.fops = &luo_dev_fops,
};

/* An incoming memfd's bytes against their checksum. */
static bool luo_memfd_sound(const struct vmkeep_pool *pool,
			    const struct luo_file *f)
{
	u64 left = f->size, len;
	u32 crc = 0, i;

	for (i = 0; i < f->nr_runs && left; i++) {
		len = min(left, f->runs[i].length);
		crc = vmkeep_crc32c(crc, pool->va + f->runs[i].offset, len);
		left -= len;
		cond_resched();
	}
	return crc == f->data_crc;
}

static int luo_restore_file(struct luo_set *set, struct luo_session *s,
			    const struct vmkeep_luo_fil *r)
{
	struct luo_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->token = r->token;
	f->kind = r->kind;
	f->size = r->size;
	f->pos = r->pos;
	f->seals = r->seals;
	f->data_crc = r->data_crc;
	f->region_id = r->region_id;
	f->gone = r->flags & VMKEEP_LUO_F_GONE;
	if (f->kind == VMKEEP_LUO_FMT_MEMFD) {
		f->runs = set->rs + r->first_run;
		f->nr_runs = r->nr_runs;
		s->bytes += round_up(f->size, LUO_PAGE);
	}
	list_add_tail(&f->link, &s->files);
	s->nr_files++;
	return 0;
}

static int luo_restore_session(struct luo_set *set, u32 idx)
{
	const struct vmkeep_luo_sess *r = &set->ss[idx];
	struct luo_session *s;
	u32 i;
	int ret;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	INIT_LIST_HEAD(&s->files);
	strscpy(s->name, r->name, sizeof(s->name));
	s->incoming = true;
	s->set = set;
	s->set_nr = set->nr;
	s->pool = set->pool->index;
	s->idx = idx;
	if (r->flags & VMKEEP_LUO_F_QUARANTINED)
		s->quarantine = r->quarantine ?: VMKEEP_Q_FIELD;
	/*
	 * A torn copy with a twin of its generation had every record of
	 * this session checked against its own checksum and the twin's
	 * (vmkeep_luo_decode()): damage elsewhere in the tables costs this
	 * session nothing.  Without a twin nothing vouches for the records.
	 */
	else if (set->hdr.torn && !set->hdr.twin)
		s->quarantine = VMKEEP_Q_CRC;
	else if (luo_lookup(&luo_incoming, s->name) &&
		 !luo_lookup(&luo_incoming, s->name)->quarantine)
		s->quarantine = VMKEEP_Q_NAME;
	list_add_tail(&s->link, &luo_incoming);
	set->nr_live++;
	for (i = 0; i < r->nr_files; i++) {
		ret = luo_restore_file(set, s, &set->fs[r->first_file + i]);
		if (ret)
			return ret;
	}
	/* As for regions: the admin learns that a copy went bad. */
	if (!s->quarantine && (r->flags & VMKEEP_FMT_REPAIRED))
		pr_info("live update session '%s' (set %llu, pool %u) repaired from the other copy of its tables\n",
			s->name, set->nr, set->pool->index);
	return 0;
}

/*
 * Whether a region file's region is there, as far as this load knows: in
 * a pool not trusted yet it may still come, and RETRIEVE_FD looks again.
 */
static bool luo_region_sound(const struct luo_file *f)
{
	struct vmkeep_region *region;
	unsigned int i;

	if (f->gone)
		return true;
	guard(mutex)(&vmkeep_lock);
	for (i = 0; i < vmkeep_nr_pools; i++) {
		if (vmkeep_pools[i]->base != f->pos)
			continue;
		if (vmkeep_pools[i]->fmt.state != VMKEEP_POOL_READY)
			return true;
		region = vmkeep_pool_region_by_id(vmkeep_pools[i], f->region_id);
		return region && region->restored &&
		       region->state != VMKEEP_STATE_QUARANTINED &&
		       region->fmt.length == f->size;
	}
	return false;
}

static void luo_quarantined(const struct luo_session *s)
{
	pr_warn("live update session '%s' (set %llu, pool %u) quarantined: %s; its memory is kept\n",
		s->name, s->set_nr, s->pool,
		vmkeep_quarantine_desc(s->quarantine));
}

/*
 * The bytes of every memfd of @pool's new sessions against their
 * checksums, with vmkeep_lock not held: a session with one bad byte, or a
 * page a memory failure hit, is quarantined whole.  Derived again by every
 * kernel, never stored.
 */
static void luo_check_data(struct vmkeep_pool *pool)
{
	struct luo_session *s;
	struct luo_file *f;

	lockdep_assert_held(&luo_lock);
	list_for_each_entry(s, &luo_incoming, link) {
		if (!s->set || s->set->pool != pool || s->retrieved)
			continue;
		list_for_each_entry(f, &s->files, link) {
			if (s->quarantine)
				break;
			if (f->kind == VMKEEP_LUO_FMT_REGION) {
				if (!luo_region_sound(f))
					s->quarantine = VMKEEP_Q_LUO_REGION;
				continue;
			}
			if (luo_runs_bad(pool, f) || !luo_memfd_sound(pool, f))
				s->quarantine = VMKEEP_Q_LUO_DATA;
		}
		if (s->quarantine)
			luo_quarantined(s);
	}
}

/* A set read in part: none of it is offered, all of it is kept. */
static void luo_set_forget(struct luo_set *set)
{
	struct luo_session *s, *tmp;
	struct luo_file *f, *ftmp;

	list_for_each_entry_safe(s, tmp, &luo_incoming, link) {
		if (s->set != set)
			continue;
		list_for_each_entry_safe(f, ftmp, &s->files, link)
			luo_file_free(f, false);
		luo_session_free(s);
	}
	luo_set_free(set);
}

/* The spans of a set's data chunks, for the run checks. */
static struct vmkeep_luo_span *luo_data_spans(struct luo_set *set, u32 *nr)
{
	struct vmkeep_luo_chunk *chunk;
	struct vmkeep_luo_span *spans;
	u32 n = 0, i;
	bool tables;

	list_for_each_entry(chunk, &set->pool->luo, link)
		if (chunk_in_set(chunk, set->nr, &tables) && !tables)
			n += chunk->fmt.nr_extents;
	spans = kvcalloc(n ?: 1, sizeof(*spans), GFP_KERNEL);
	if (!spans)
		return NULL;
	*nr = 0;
	list_for_each_entry(chunk, &set->pool->luo, link) {
		if (!chunk_in_set(chunk, set->nr, &tables) || tables)
			continue;
		for (i = 0; i < chunk->fmt.nr_extents; i++) {
			spans[*nr].offset = chunk->fmt.extents[i].offset;
			spans[(*nr)++].length = chunk->fmt.extents[i].length;
		}
	}
	return spans;
}

static int luo_set_decode(struct luo_set *set)
{
	const void *area = set->pool->va + set->tables->fmt.extents[0].offset;
	struct vmkeep_luo_span *data, *scratch;
	u32 nr_data = 0, i, q;
	int ret = -ENOMEM;

	data = luo_data_spans(set, &nr_data);
	scratch = kvcalloc(vmkeep_luo_scratch(&set->hdr) ?: 1, sizeof(*scratch),
			   GFP_KERNEL);
	set->ss = kvcalloc(set->hdr.nr_sessions ?: 1, sizeof(*set->ss), GFP_KERNEL);
	set->fs = kvcalloc(set->hdr.nr_files ?: 1, sizeof(*set->fs), GFP_KERNEL);
	set->rs = kvcalloc(set->hdr.nr_runs ?: 1, sizeof(*set->rs), GFP_KERNEL);
	if (data && scratch && set->ss && set->fs && set->rs) {
		q = vmkeep_luo_decode(area, &set->hdr, data, nr_data, set->ss,
				      set->fs, set->rs, scratch);
		for (i = 0, ret = 0; i < set->hdr.nr_sessions && !ret; i++)
			if (!(set->ss[i].flags & VMKEEP_LUO_F_CONSUMED))
				ret = luo_restore_session(set, i);
		pr_info("live update set %llu (pool %u): %u sessions, %u quarantined by their records\n",
			set->nr, set->pool->index, set->nr_live, q);
	}
	kvfree(data);
	kvfree(scratch);
	return ret;
}

/*
 * Read the set whose tables are @tables.  Damaged tables lose its
 * sessions to this kernel, never its memory: the chunks stay.
 */
static void luo_set_read(struct vmkeep_pool *pool,
			 struct vmkeep_luo_chunk *tables, u64 nr)
{
	struct luo_set *set;

	if (tables->fmt.nr_extents != 1 ||
	    tables->fmt.extents[0].length < VMKEEP_FMT_UNIT) {
		pr_err("live update set %llu (pool %u): tables entry malformed; its memory is kept\n",
		       nr, pool->index);
		return;
	}
	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		goto err;
	set->pool = pool;
	set->nr = nr;
	set->tables = tables;
	vmkeep_luo_read(pool->va + tables->fmt.extents[0].offset, nr, &set->hdr);
	if (set->hdr.damage) {
		pr_err("live update set %llu (pool %u): tables damaged (%s): its sessions are lost to this kernel, its memory is kept\n",
		       nr, pool->index, vmkeep_damage_desc(set->hdr.damage));
		kfree(set);
		return;
	}
	list_add_tail(&set->link, &luo_sets);
	if (!luo_set_decode(set)) {
		if (!set->nr_live)
			luo_set_drop(set);
		return;
	}
	luo_set_forget(set);
err:
	pr_err("live update set %llu (pool %u): out of memory reading it; its memory is kept\n",
	       nr, pool->index);
}

static int cmp_u64s(const void *a, const void *b)
{
	const u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

static bool chunk_tables_nr(const struct vmkeep_luo_chunk *chunk, u64 *nr)
{
	bool tables;

	return chunk->written && chunk_set(chunk, nr, &tables) && tables;
}

static struct vmkeep_luo_chunk *chunk_tables(struct vmkeep_pool *pool, u64 nr)
{
	struct vmkeep_luo_chunk *chunk;
	u64 n;

	list_for_each_entry(chunk, &pool->luo, link)
		if (chunk_tables_nr(chunk, &n) && n == nr)
			return chunk;
	return NULL;
}

static void luo_read_sets(struct vmkeep_pool *pool);

/**
 * vmkeep_luo_restore() - read the live update sets of a trusted pool
 * @pool: ready, proven to be this host's
 *
 * Two tables of one number are no set: both are kept, unread.
 */
void vmkeep_luo_restore(struct vmkeep_pool *pool)
{
	guard(mutex)(&luo_lock);
	scoped_guard(mutex, &vmkeep_lock) {
		if (__test_and_set_bit(pool->index, &luo_read_pools))
			return;
		luo_read_sets(pool);
	}
	luo_check_data(pool);
}

/* Newest first: of two sessions with one name, the newer is retrieved. */
static void luo_read_sets(struct vmkeep_pool *pool)
{
	struct vmkeep_luo_chunk *chunk;
	u32 n = 0, i;
	u64 *nrs;

	lockdep_assert_held(&vmkeep_lock);
	nrs = kcalloc(pool->nr_luo ?: 1, sizeof(*nrs), GFP_KERNEL);
	if (!nrs) {
		pr_err("pool %u: out of memory reading its live update sets; their memory is kept\n",
		       pool->index);
		return;
	}
	list_for_each_entry(chunk, &pool->luo, link)
		if (chunk_tables_nr(chunk, &nrs[n]))
			n++;
	sort(nrs, n, sizeof(*nrs), cmp_u64s, NULL);
	for (i = n; i--;) {
		if ((i && nrs[i] == nrs[i - 1]) ||
		    (i + 1 < n && nrs[i] == nrs[i + 1])) {
			pr_err("live update set %llu (pool %u): two tables; neither is read, their memory is kept\n",
			       nrs[i], pool->index);
			continue;
		}
		luo_set_read(pool, chunk_tables(pool, nrs[i]), nrs[i]);
	}
	kfree(nrs);
}

/* FORMAT takes luo_lock around vmkeep_lock: see vmkeep_luo_forget_pool(). */
void vmkeep_luo_lock(void)
{
	mutex_lock(&luo_lock);
}

void vmkeep_luo_unlock(void)
{
	mutex_unlock(&luo_lock);
}

/**
 * vmkeep_luo_forget_pool() - a forced FORMAT drops @pool's live update sets
 * @pool: the pool, which passed every other check of FORMAT
 *
 * Return: 0, or -EBUSY while a session of the pool is outgoing or
 * retrieved.
 */
int vmkeep_luo_forget_pool(struct vmkeep_pool *pool)
{
	struct luo_set *set, *tmp;
	struct luo_session *s;

	lockdep_assert_held(&luo_lock);
	lockdep_assert_held(&vmkeep_lock);
	if (luo_pool == pool)
		return -EBUSY;
	list_for_each_entry(s, &luo_incoming, link)
		if (s->set && s->set->pool == pool && s->retrieved)
			return -EBUSY;
	list_for_each_entry_safe(set, tmp, &luo_sets, link)
		if (set->pool == pool)
			luo_set_forget(set);
	pr_warn("pool %u: forced format: its live update sets go too\n",
		pool->index);
	vmkeep_pool_luo_forget(pool);
	__clear_bit(pool->index, &luo_read_pools);
	return 0;
}

/* The number of the outgoing set: above every set any pool holds. */
static u64 luo_next_set(void)
{
	struct vmkeep_luo_chunk *chunk;
	u64 next = 1, nr;
	unsigned int i;
	bool tables;

	for (i = 0; i < vmkeep_nr_pools; i++)
		list_for_each_entry(chunk, &vmkeep_pools[i]->luo, link)
			if (chunk->written && chunk_set(chunk, &nr, &tables))
				next = max(next, nr + 1);
	return next;
}

/*
 * A memfd's bytes into its pages, at the kexec, and its position.  Read
 * through a file of its own: the preserved one may be write-only, and a
 * read leaves holes unallocated.
 */
static void luo_copy_memfd(struct luo_file *f)
{
	u64 done = 0, len, o;
	struct file *file;
	loff_t pos = 0;
	ssize_t n;
	void *dst;
	u32 i;

	f->pos = READ_ONCE(f->file->f_pos);
	f->data_crc = 0;
	file = dentry_open(&f->file->f_path, O_RDONLY | O_LARGEFILE,
			   current_cred());
	if (IS_ERR(file))
		pr_err("memfd token %llu: cannot be read (%pe): stored as zeroes, quarantined by the next kernel\n",
		       f->token, file);
	for (i = 0; i < f->nr_runs; i++) {
		for (o = 0; o < f->runs[i].length && done < f->size;
		     o += len, done += len) {
			len = min3(f->runs[i].length - o, f->size - done, SZ_1G);
			dst = luo_pool->va + f->runs[i].offset + o;
			n = IS_ERR(file) ? -EIO : kernel_read(file, dst, len, &pos);
			if (n != len) {
				memset(dst, 0, len);
				pos = done + len;
			}
			f->data_crc = vmkeep_crc32c(f->data_crc, dst, len);
			/* The stored checksum is of zeroes: a wrong one. */
			if (n != len)
				f->data_crc = ~f->data_crc;
			cond_resched();
		}
	}
	if (!IS_ERR(file))
		fput(file);
}

static void luo_encode_file(struct luo_file *f, u32 *run,
			    struct vmkeep_luo_fil *r)
{
	struct vmkeep_region *region;

	memset(r, 0, sizeof(*r));
	r->token = f->token;
	r->kind = f->kind;
	if (f->kind == VMKEEP_LUO_FMT_MEMFD) {
		r->size = f->size;
		r->pos = f->pos;
		r->seals = f->seals;
		r->data_crc = f->data_crc;
		r->first_run = *run;
		r->nr_runs = f->nr_runs;
		*run += f->nr_runs;
		return;
	}
	region = f->file->private_data;
	r->size = region->fmt.length;
	r->pos = region->pool->base;
	r->region_id = region->fmt.id;
	if (region->freed)
		r->flags = VMKEEP_LUO_F_GONE;
}

static void luo_write_copy(void *area, u32 copy,
			   const struct vmkeep_luo_set *hdr)
{
	struct vmkeep_luo_sess ss = {};
	u32 si = 0, fi = 0, ri = 0, i;
	struct vmkeep_luo_fil fr;
	struct luo_session *s;
	struct luo_file *f;
	u32 run = 0;

	vmkeep_luo_begin(area, copy);
	list_for_each_entry(s, &luo_outgoing, link) {
		strscpy(ss.name, s->name, sizeof(ss.name));
		ss.first_file = fi;
		ss.nr_files = s->nr_files;
		vmkeep_luo_put_session(area, copy, hdr, si++, &ss);
		list_for_each_entry(f, &s->files, link) {
			luo_encode_file(f, &run, &fr);
			vmkeep_luo_put_file(area, copy, hdr, fi++, &fr);
			for (i = 0; i < f->nr_runs; i++)
				vmkeep_luo_put_run(area, copy, hdr, ri++, &f->runs[i]);
		}
	}
	vmkeep_luo_end(area, copy, hdr);
}

/*
 * Into kexec: the memfds' bytes, both copies of the tables, and the
 * chunks named and marked for the pool's entries (pools_mark_clean()
 * writes them).
 */
static void luo_write_outgoing(void)
{
	struct vmkeep_luo_set hdr = { .generation = 1 };
	struct vmkeep_luo_chunk *chunk;
	u32 k = 0;
	void *area;

	lockdep_assert_held(&luo_lock);
	lockdep_assert_held(&vmkeep_lock);
	if (list_empty(&luo_outgoing))
		return;
	if (luo_pool->fmt.state != VMKEEP_POOL_READY ||
	    (luo_pool->flags & VMKEEP_POOL_HELD)) {
		pr_err("live update: pool %u is held, %u sessions not handed over\n",
		       luo_pool->index, luo_nr_sessions);
		return;
	}
	hdr.set = luo_next_set();
	hdr.nr_sessions = luo_nr_sessions;
	hdr.nr_files = luo_nr_files;
	hdr.nr_runs = luo_nr_runs;
	area = luo_pool->va + luo_tables->fmt.extents[0].offset;
	luo_write_copy(area, 0, &hdr);
	luo_write_copy(area, 1, &hdr);
	snprintf(luo_tables->fmt.name, sizeof(luo_tables->fmt.name), "luo.%llu",
		 hdr.set);
	luo_tables->written = true;
	list_for_each_entry(chunk, &luo_pool->luo, link) {
		if (!chunk->pages || chunk->written)
			continue;
		snprintf(chunk->fmt.name, sizeof(chunk->fmt.name), "luo.%llu.%u",
			 hdr.set, k++);
		chunk->written = true;
	}
	pr_info("live update: %u sessions, %u files handed over as set %llu in pool %u\n",
		luo_nr_sessions, luo_nr_files, hdr.set, luo_pool->index);
}

/*
 * The memfds' bytes into their pages, under luo_lock alone: the chunks
 * cannot go, and vmkeep_lock is not held over work this long.
 */
static void luo_copy_outgoing(void)
{
	ktime_t t0 = ktime_get();
	struct luo_session *s;
	struct luo_file *f;
	u64 bytes = 0;

	lockdep_assert_held(&luo_lock);
	list_for_each_entry(s, &luo_outgoing, link) {
		list_for_each_entry(f, &s->files, link)
			if (f->kind == VMKEEP_LUO_FMT_MEMFD)
				luo_copy_memfd(f);
		bytes += s->bytes;
	}
	if (bytes)
		pr_info("live update: %llu bytes of memfds copied in %lld us\n",
			bytes, ktime_us_delta(ktime_get(), t0));
}

/*
 * Into kexec, the sets that came in: sessions nobody retrieved (or not
 * finished) are dropped, as mainline drops them - unless /dev/liveupdate
 * is off, when nothing could have retrieved them.  Quarantined ones stay.
 */
static void luo_settle_incoming(void)
{
	struct luo_set *set, *tmp;
	struct luo_session *s;
	u32 dropped;

	lockdep_assert_held(&luo_lock);
	lockdep_assert_held(&vmkeep_lock);
	list_for_each_entry_safe(set, tmp, &luo_sets, link) {
		dropped = 0;
		list_for_each_entry(s, &luo_incoming, link) {
			if (s->set != set || s->consumed || s->quarantine ||
			    !luo_on)
				continue;
			luo_consume(s);
			dropped++;
		}
		if (dropped)
			pr_info("live update set %llu: %u sessions not finished, dropped\n",
				set->nr, dropped);
		if (!set->nr_live)
			luo_set_drop(set);
		else if (set->dirty)
			luo_set_write(set);
	}
}

/* The reboot notifier's part: luo_lock is kept, as mainline keeps its. */
void vmkeep_luo_reboot(void)
{
	mutex_lock(&luo_lock);
	cancel_delayed_work(&luo_work);
	if (!list_empty(&luo_outgoing))
		luo_copy_outgoing();
	guard(mutex)(&vmkeep_lock);
	if (vmkeep_crashed)
		return;
	luo_write_outgoing();
	luo_settle_incoming();
}

/* The pool a file's memory is in, for LUO_LIST. */
static u32 luo_file_pool(const struct luo_session *s, const struct luo_file *f)
{
	unsigned int i;

	if (f->kind == VMKEEP_LUO_FMT_MEMFD)
		return s->incoming ? s->pool : luo_pool->index;
	if (!s->incoming)
		return ((struct vmkeep_region *)f->file->private_data)->pool->index;
	for (i = 0; i < vmkeep_nr_pools; i++)
		if (vmkeep_pools[i]->base == f->pos)
			return i;
	return VMKEEP_LUO_NO_POOL;
}

static void luo_fill(struct vmkeep_luo_session_info *si,
		     struct vmkeep_luo_file_info *fi, u32 *nf, u32 idx,
		     const struct luo_session *s)
{
	const struct luo_file *f;

	strscpy(si->name, s->name, sizeof(si->name));
	si->set = s->set_nr;
	si->bytes = s->bytes;
	si->state = !s->incoming ? VMKEEP_LUO_OUTGOING :
		    s->quarantine ? VMKEEP_LUO_QUARANTINED :
		    s->retrieved ? VMKEEP_LUO_RETRIEVED : VMKEEP_LUO_INCOMING;
	si->quarantine = s->quarantine;
	si->pool = s->incoming ? s->pool : luo_pool->index;
	si->nr_files = s->nr_files;
	list_for_each_entry(f, &s->files, link) {
		fi[*nf].token = f->token;
		fi[*nf].size = f->size;
		fi[*nf].region_id = f->kind == VMKEEP_LUO_FMT_REGION ?
				    (s->incoming ? f->region_id :
				     ((struct vmkeep_region *)f->file->private_data)->fmt.id) : 0;
		fi[*nf].session = idx;
		fi[*nf].pool = luo_file_pool(s, f);
		fi[*nf].kind = f->kind == VMKEEP_LUO_FMT_MEMFD ?
			       VMKEEP_LUO_KIND_MEMFD : VMKEEP_LUO_KIND_REGION;
		(*nf)++;
	}
}

/**
 * vmkeep_luo_list() - VMKEEP_IOC_LUO_LIST
 * @cmd: the caller's room in, the counts out
 *
 * Return: 0, -EMSGSIZE (the counts only), -ENOMEM or -EFAULT.
 */
int vmkeep_luo_list(struct vmkeep_luo_list *cmd)
{
	struct vmkeep_luo_session_info *si = NULL;
	struct vmkeep_luo_file_info *fi = NULL;
	struct list_head *lists[] = { &luo_outgoing, &luo_incoming };
	u32 ns = 0, nf = 0, i;
	struct luo_session *s;
	int ret = 0;

	scoped_guard(mutex, &luo_lock) {
		for (i = 0; i < ARRAY_SIZE(lists); i++)
			list_for_each_entry(s, lists[i], link) {
				ns++;
				nf += s->nr_files;
			}
		cmd->out_flags = luo_on ? VMKEEP_LUO_ENABLED : 0;
		if (ns > cmd->num_sessions || nf > cmd->num_files) {
			cmd->num_sessions = ns;
			cmd->num_files = nf;
			return -EMSGSIZE;
		}
		si = kvcalloc(ns ?: 1, sizeof(*si), GFP_KERNEL);
		fi = kvcalloc(nf ?: 1, sizeof(*fi), GFP_KERNEL);
		if (!si || !fi) {
			ret = -ENOMEM;
			goto out;
		}
		ns = 0;
		nf = 0;
		for (i = 0; i < ARRAY_SIZE(lists); i++)
			list_for_each_entry(s, lists[i], link) {
				luo_fill(&si[ns], fi, &nf, ns, s);
				ns++;
			}
	}
	cmd->num_sessions = ns;
	cmd->num_files = nf;
	if (copy_to_user(u64_to_user_ptr(cmd->sessions), si, ns * sizeof(*si)) ||
	    copy_to_user(u64_to_user_ptr(cmd->files), fi, nf * sizeof(*fi)))
		ret = -EFAULT;
out:
	kvfree(si);
	kvfree(fi);
	return ret;
}

/**
 * vmkeep_luo_init() - /dev/liveupdate, if the admin asks for it
 * @on: the module parameter ``luo``
 *
 * Return: 0, or misc_register()'s error.
 */
int vmkeep_luo_init(bool on)
{
	int ret;

	if (!on)
		return 0;
	if (IS_ENABLED(CONFIG_LIVEUPDATE)) {
		pr_info("luo=1 ignored: this kernel provides /dev/liveupdate itself\n");
		return 0;
	}
	ret = misc_register(&luo_misc);
	if (ret)
		return ret;
	luo_on = true;
	pr_info("/dev/liveupdate: mainline's live update uAPI, kept in vmkeep pools\n");
	return 0;
}

/*
 * Unload: no session file is open (each holds the module), so only
 * incoming sessions nobody retrieved are left: their sets stay in the
 * pools, for the next load.
 */
void vmkeep_luo_exit(void)
{
	struct luo_session *s, *tmp;
	struct luo_file *f, *ftmp;
	struct luo_set *set, *stmp;

	if (luo_on)
		misc_deregister(&luo_misc);
	cancel_delayed_work_sync(&luo_work);
	guard(mutex)(&luo_lock);
	luo_sets_flush();
	list_for_each_entry_safe(s, tmp, &luo_incoming, link) {
		list_for_each_entry_safe(f, ftmp, &s->files, link)
			luo_file_free(f, false);
		luo_session_free(s);
	}
	list_for_each_entry_safe(set, stmp, &luo_sets, link)
		luo_set_free(set);
	luo_read_pools = 0;
}
