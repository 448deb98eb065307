import type { Metadata } from "next";
import { redirect } from "next/navigation";

import { SignInForm } from "@/components/console/sign-in-form";
import { IconShield } from "@/components/ui/icons";
import { currentSession } from "@/lib/server/auth";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage() {
  if (await currentSession()) redirect("/console");
  return (
    <div className="flex min-h-screen items-center justify-center bg-slate-100 px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex flex-col items-center text-center">
          <span className="grid size-11 place-items-center rounded-xl bg-indigo-600 text-white shadow-sm">
            <IconShield className="size-6" />
          </span>
          <h1 className="mt-4 text-xl font-semibold tracking-tight text-slate-900">
            Sign in to Portcullis
          </h1>
          <p className="mt-1 text-sm text-slate-500">The console for your MCP policy gateway</p>
        </div>
        <div className="rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
          <SignInForm />
        </div>
      </div>
    </div>
  );
}
