import Link from "next/link";

import { EmptyState } from "@/components/ui/states";

export default function NotFound() {
  return (
    <EmptyState title="Page not found" className="min-h-[60vh]">
      <Link href="/console" className="font-medium text-indigo-700 hover:underline">
        Back to the dashboard
      </Link>
    </EmptyState>
  );
}
