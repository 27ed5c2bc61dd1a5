/*
 * pf_banned: functions that are easy to misuse with untrusted input,
 * turned into compile errors (after git's banned.h). Include it last in
 * every .c file, after the system headers whose prototypes it would break.
 */
#ifndef PF_BANNED_H
#define PF_BANNED_H

#define PF_BANNED(f) sorry_##f##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) PF_BANNED(strcpy)
#undef strcat
#define strcat(x, y) PF_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) PF_BANNED(strncpy)
#undef sprintf
#define sprintf(...) PF_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) PF_BANNED(vsprintf)
#undef gets
#define gets(x) PF_BANNED(gets)
#undef strtok
#define strtok(x, y) PF_BANNED(strtok)
#undef atoi
#define atoi(x) PF_BANNED(atoi)
#undef atol
#define atol(x) PF_BANNED(atol)
#undef system
#define system(x) PF_BANNED(system)
#undef popen
#define popen(x, y) PF_BANNED(popen)
#undef mktemp
#define mktemp(x) PF_BANNED(mktemp)

#endif
