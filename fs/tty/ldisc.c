// SPDX-License-Identifier: Apache-2.0
/*
 * The line discipline of our terminals: Linux's n_tty (drivers/tty/n_tty.c) reduced to what
 * programs see. Input processing (ISTRIP, IGNCR, ICRNL, INLCR), signals (ISIG: INTR, QUIT,
 * SUSP, with NOFLSH), canonical editing (ERASE, WERASE, KILL, LNEXT, EOF, EOL, EOL2, with
 * IUTF8 erase), echo (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL) and output processing
 * (OPOST: ONLCR, OCRNL, ONOCR, ONLRET, XTABS, OLCUC), and output flow control (IXON, IXANY:
 * VSTOP stops slave writes until VSTART), VREPRINT. Not done: IXOFF, VDISCARD (nor does
 * Linux), ECHOPRT, parity marking. Packet-mode events (TIOCPKT_*) are recorded here too. Everything here runs with p->mu held.
 */
#include "fs/tty/tty_impl.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "lib/compiler.h"

#define DELIM_LINE 1 /* end of a line, returned to the reader */
#define DELIM_EOF 2  /* VEOF: ends the line, not returned */

size_t ring_space(const struct tty_ring *r)
{
	return r->cap - r->len;
}

void ring_put(struct tty_ring *r, uint8_t c)
{
	if (r->len < r->cap)
		r->buf[(r->head + r->len++) % r->cap] = c;
}

static size_t ring_pos(const struct tty_ring *r, size_t off)
{
	return (r->head + off) % r->cap;
}

void ldisc_init_termios(struct ktermios *t)
{
	/* Linux's tty_std_termios and INIT_C_CC. */
	static const uint8_t cc[KNCCS] = {
		[VINTR] = 003, [VQUIT] = 034, [VERASE] = 0177, [VKILL] = 025, [VEOF] = 004,
		[VTIME] = 0, [VMIN] = 1, [VSTART] = 021, [VSTOP] = 023, [VSUSP] = 032,
		[VREPRINT] = 022, [VDISCARD] = 017, [VWERASE] = 027, [VLNEXT] = 026,
	};

	memset(t, 0, sizeof(*t));
	t->c_iflag = ICRNL | IXON;
	t->c_oflag = OPOST | ONLCR;
	t->c_cflag = B38400 | CS8 | CREAD | HUPCL;
	t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(t->c_cc, cc, sizeof(cc));
	t->c_ispeed = t->c_ospeed = 38400;
}

#define I(p, f) ((p)->termios.c_iflag & (f))
#define O(p, f) ((p)->termios.c_oflag & (f))
#define L(p, f) ((p)->termios.c_lflag & (f))
#define CC(p, v) ((p)->termios.c_cc[v])

/* A control character as ^X (ECHOCTL), except tab, newline and the flow-control pair. */
static bool ctl_visible(struct pty *p, uint8_t c)
{
	return L(p, ECHOCTL) && (c < 32 || c == 0177) && c != '\t' && c != '\n' &&
	       c != CC(p, VSTART) && c != CC(p, VSTOP);
}

static bool utf8_cont(struct pty *p, uint8_t c)
{
	return I(p, IUTF8) && (c & 0xc0) == 0x80;
}

/*
 * One output character through OPOST into @out (Linux's do_output_char). Returns false when
 * there is no room for it (nothing written).
 */
static bool output_char(struct pty *p, uint8_t c)
{
	struct tty_ring *r = &p->out;

	if (!O(p, OPOST)) {
		if (!ring_space(r))
			return false;
		ring_put(r, c);
		return true;
	}
	switch (c) {
	case '\n':
		if (O(p, ONLRET))
			p->column = 0;
		if (O(p, ONLCR)) {
			if (ring_space(r) < 2)
				return false;
			p->column = 0;
			ring_put(r, '\r');
			ring_put(r, '\n');
			return true;
		}
		break;
	case '\r':
		if (O(p, ONOCR) && p->column == 0)
			return true;
		if (O(p, OCRNL)) {
			c = '\n';
			if (O(p, ONLRET))
				p->column = 0;
			break;
		}
		p->column = 0;
		break;
	case '\t': {
		unsigned int spaces = 8 - (p->column & 7);
		if ((p->termios.c_oflag & TABDLY) == XTABS) {
			if (ring_space(r) < spaces)
				return false;
			p->column += spaces;
			while (spaces--)
				ring_put(r, ' ');
			return true;
		}
		p->column += spaces;
		break;
	}
	case '\b':
		if (p->column > 0)
			p->column--;
		break;
	default:
		if (c >= 32 && c != 0177) {
			if (O(p, OLCUC) && c >= 'a' && c <= 'z')
				c = (uint8_t)(c - 'a' + 'A');
			if (!utf8_cont(p, c))
				p->column++;
		}
	}
	if (!ring_space(r))
		return false;
	ring_put(r, c);
	return true;
}

/* Echo @c (Linux's echo_char): ^X for control characters under ECHOCTL. Dropped if full. */
static void echo_char(struct pty *p, uint8_t c)
{
	if (ctl_visible(p, c)) {
		if (ring_space(&p->out) < 2)
			return;
		ring_put(&p->out, '^');
		ring_put(&p->out, c ^ 0100);
		p->column += 2;
		return;
	}
	output_char(p, c);
}

size_t ldisc_write(struct pty *p, const uint8_t *src, size_t len)
{
	size_t i;

	if (p->stopped)
		return 0; /* pty_write_room is 0 while stopped */
	for (i = 0; i < len; i++)
		if (!output_char(p, src[i]))
			break;
	return i;
}

/* The display width of the edited line's characters up to offset @end (for erase). */
static unsigned int line_width(struct pty *p, size_t end)
{
	unsigned int col = p->canon_column;

	for (size_t off = p->canon_len; off < end; off++) {
		uint8_t c = p->in.buf[ring_pos(&p->in, off)];
		if (c == '\t')
			col = (col | 7) + 1;
		else if (ctl_visible(p, c))
			col += 2;
		else if (!utf8_cont(p, c) && c >= 32 && c != 0177)
			col++;
	}
	return col;
}

static void echo_erase_cols(struct pty *p, unsigned int n, bool blank)
{
	while (n--) {
		if (ring_space(&p->out) < 3)
			return;
		ring_put(&p->out, '\b');
		if (blank) {
			ring_put(&p->out, ' ');
			ring_put(&p->out, '\b');
		}
		if (p->column)
			p->column--;
	}
}

/* Remove the last character of the edited line (with its UTF-8 continuation bytes). */
static bool erase_one(struct pty *p)
{
	size_t end = p->in.len;
	uint8_t c;

	if (end <= p->canon_len)
		return false;
	do {
		end--;
		c = p->in.buf[ring_pos(&p->in, end)];
	} while (end > p->canon_len && utf8_cont(p, c));
	if (L(p, ECHO)) {
		unsigned int before = line_width(p, p->in.len), after = line_width(p, end);
		if (!L(p, ECHOE))
			echo_char(p, CC(p, VERASE));
		else
			echo_erase_cols(p, before - after, c != '\t');
	}
	p->in.len = end;
	return true;
}

/* VREPRINT: show the KILL-less line again on a fresh line (n_tty's reprint). */
static void reprint(struct pty *p, uint8_t c)
{
	echo_char(p, c);
	output_char(p, '\n');
	p->canon_column = p->column;
	for (size_t off = p->canon_len; off < p->in.len; off++)
		echo_char(p, p->in.buf[ring_pos(&p->in, off)]);
}

static bool is_word_char(uint8_t c)
{
	return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	       c >= 0x80;
}

/* Linux's eraser(): ERASE, WERASE and KILL on the line being edited. */
static void eraser(struct pty *p, uint8_t c)
{
	if (c == CC(p, VKILL)) {
		if (!L(p, ECHO) || !L(p, ECHOK) || !L(p, ECHOKE) || !L(p, ECHOE)) {
			bool any = p->in.len > p->canon_len;
			p->in.len = p->canon_len;
			if (L(p, ECHO) && any) {
				echo_char(p, c);
				if (L(p, ECHOK))
					output_char(p, '\n');
			}
			return;
		}
		while (erase_one(p))
			;
		return;
	}
	if (c == CC(p, VWERASE) && L(p, IEXTEN)) {
		bool seen_word = false;
		while (p->in.len > p->canon_len) {
			uint8_t last = p->in.buf[ring_pos(&p->in, p->in.len - 1)];
			if (is_word_char(last))
				seen_word = true;
			else if (seen_word)
				break;
			erase_one(p);
		}
		return;
	}
	erase_one(p);
}

/* Store @c at the end of @in with delimiter kind @delim; false if there is no room. */
static bool store(struct pty *p, uint8_t c, uint8_t delim)
{
	if (!ring_space(&p->in))
		return false;
	if (p->in.len == p->canon_len)
		p->canon_column = p->column;
	p->in_delim[ring_pos(&p->in, p->in.len)] = delim;
	ring_put(&p->in, c);
	if (delim || !L(p, ICANON))
		p->canon_len = p->in.len;
	return true;
}

static int isig_char(struct pty *p, uint8_t c)
{
	if (!L(p, ISIG) || c == _POSIX_VDISABLE)
		return 0;
	if (c == CC(p, VINTR))
		return SIGINT;
	if (c == CC(p, VQUIT))
		return SIGQUIT;
	if (c == CC(p, VSUSP))
		return SIGTSTP;
	return 0;
}

void ldisc_flush_input(struct pty *p)
{
	p->in.head = p->in.len = 0;
	p->canon_len = 0;
	p->lnext = false;
	if (p->packet)
		p->pktstatus |= TIOCPKT_FLUSHREAD; /* n_tty_packet_mode_flush */
}

void ldisc_flush_output(struct pty *p)
{
	p->out.head = p->out.len = 0;
	if (p->packet)
		p->pktstatus |= TIOCPKT_FLUSHWRITE;
}

void ldisc_set_stopped(struct pty *p, bool stop)
{
	if (p->stopped == stop)
		return;
	p->stopped = stop;
	if (p->packet) {
		p->pktstatus &= (uint8_t)~(stop ? TIOCPKT_START : TIOCPKT_STOP);
		p->pktstatus |= stop ? TIOCPKT_STOP : TIOCPKT_START;
	}
}

/* One character in canonical mode; false if it must wait for room. */
static bool receive_canon(struct pty *p, uint8_t c)
{
	/* A full buffer keeps room for a newline so a reader can always finish the line. */
	bool delim_char = c == '\n' || (c != _POSIX_VDISABLE && (c == CC(p, VEOF) ||
			  c == CC(p, VEOL) || (L(p, IEXTEN) && c == CC(p, VEOL2))));

	if (p->in.len >= p->in.cap - 1 && !delim_char)
		return p->in.len - p->canon_len >= p->in.cap - 1; /* a full line: drop c */
	if (c == '\n') {
		if (!store(p, c, DELIM_LINE))
			return false;
		if (L(p, ECHO) || L(p, ECHONL))
			output_char(p, '\n');
		return true;
	}
	if (c == CC(p, VEOF)) {
		if (!store(p, c, DELIM_EOF))
			return false;
		return true;
	}
	if (!store(p, c, delim_char ? DELIM_LINE : 0))
		return false;
	if (L(p, ECHO))
		echo_char(p, c);
	return true;
}

size_t ldisc_receive(struct pty *p, const uint8_t *src, size_t n, int *sig)
{
	size_t i;

	*sig = 0;
	for (i = 0; i < n; i++) {
		uint8_t c = src[i];

		if (I(p, ISTRIP))
			c &= 0x7f;
		if (p->lnext) {
			/* A literal: no special meaning, shown as typed. */
			if (!store(p, c, 0))
				break;
			p->lnext = false;
			if (L(p, ECHO))
				echo_char(p, c); /* over the "^\b" shown for VLNEXT */
			continue;
		}
		if (c == '\r') {
			if (I(p, IGNCR))
				continue;
			if (I(p, ICRNL))
				c = '\n';
		} else if (c == '\n' && I(p, INLCR)) {
			c = '\r';
		}
		if (I(p, IXON)) {
			/* Flow control chars are consumed (n_tty_receive_char_flow_ctrl). */
			if (c != _POSIX_VDISABLE && c == CC(p, VSTOP)) {
				ldisc_set_stopped(p, true);
				continue;
			}
			if (c != _POSIX_VDISABLE && c == CC(p, VSTART)) {
				ldisc_set_stopped(p, false);
				continue;
			}
			if (p->stopped && I(p, IXANY))
				ldisc_set_stopped(p, false);
		}
		int s = isig_char(p, c);
		if (s) {
			if (!L(p, NOFLSH)) {
				ldisc_flush_input(p);
				ldisc_flush_output(p);
			}
			if (L(p, ECHO))
				echo_char(p, c);
			*sig = s;
			i++;
			break; /* the caller signals now; the rest is processed after */
		}
		if (L(p, ICANON) && c != _POSIX_VDISABLE) {
			if (c == CC(p, VERASE) || c == CC(p, VKILL) ||
			    (c == CC(p, VWERASE) && L(p, IEXTEN))) {
				eraser(p, c);
				continue;
			}
			if (c == CC(p, VREPRINT) && L(p, IEXTEN) && L(p, ECHO)) {
				reprint(p, c);
				continue;
			}
			if (c == CC(p, VLNEXT) && L(p, IEXTEN)) {
				p->lnext = true;
				if (L(p, ECHO) && L(p, ECHOCTL) && ring_space(&p->out) >= 2) {
					ring_put(&p->out, '^');
					ring_put(&p->out, '\b');
				}
				continue;
			}
		}
		if (L(p, ICANON)) {
			if (!receive_canon(p, c))
				break;
			continue;
		}
		if (!store(p, c, 0))
			break;
		if (L(p, ECHO))
			echo_char(p, c);
	}
	return i;
}

size_t ldisc_readable(struct pty *p)
{
	return L(p, ICANON) ? p->canon_len : p->in.len;
}

ssize_t ldisc_read(struct pty *p, struct uio *dst, size_t n)
{
	bool canon = L(p, ICANON);
	size_t avail = canon ? p->canon_len : p->in.len, done = 0;
	uint8_t chunk[256];

	while (done < n && avail) {
		size_t k = 0;
		bool eol = false;
		while (k < sizeof(chunk) && done + k < n && avail) {
			size_t pos = p->in.head;
			uint8_t c = p->in.buf[pos], d = p->in_delim[pos];
			p->in.head = (p->in.head + 1) % p->in.cap;
			p->in.len--;
			avail--;
			if (canon) {
				p->canon_len--;
				if (d == DELIM_EOF) {
					eol = true;
					break;
				}
			}
			chunk[k++] = c;
			if (canon && d == DELIM_LINE) {
				eol = true;
				break;
			}
		}
		if (k) {
			ssize_t c = uio_copy_out(dst, chunk, k);
			if (c < (ssize_t)k)
				return done ? (ssize_t)done : -EFAULT;
		}
		done += k;
		if (eol)
			break;
	}
	if (!canon)
		p->canon_len = p->in.len;
	return (ssize_t)done;
}

/* Does @t give ^S/^Q flow control (pty_set_termios' test for TIOCPKT_DOSTOP)? */
static bool std_flow(const struct ktermios *t)
{
	return (t->c_iflag & IXON) && t->c_cc[VSTOP] == 023 && t->c_cc[VSTART] == 021;
}

void ldisc_set_termios(struct pty *p, const struct ktermios *t)
{
	bool was_canon = L(p, ICANON);

	if (p->packet && std_flow(&p->termios) != std_flow(t)) {
		p->pktstatus &= (uint8_t)~(TIOCPKT_DOSTOP | TIOCPKT_NOSTOP);
		p->pktstatus |= std_flow(t) ? TIOCPKT_DOSTOP : TIOCPKT_NOSTOP;
	}
	p->termios = *t;
	if (was_canon && !L(p, ICANON)) {
		p->canon_len = p->in.len;
		memset(p->in_delim, 0, p->in.cap);
	} else if (!was_canon && L(p, ICANON)) {
		/* Pending input becomes a line of its own (n_tty_set_termios). */
		if (p->in.len)
			p->in_delim[ring_pos(&p->in, p->in.len - 1)] = DELIM_LINE;
		p->canon_len = p->in.len;
	}
}
